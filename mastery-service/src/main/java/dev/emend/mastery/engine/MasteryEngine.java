package dev.emend.mastery.engine;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.BasePhaseEngine;
import dev.emend.core.edit.Progress;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.alphaedit.AlphaEditEditor;
import dev.emend.mastery.alphaedit.AlphaEditHyperParams;
import dev.emend.mastery.alphaedit.AlphaEditUpdate;
import dev.emend.mastery.alphaedit.NullSpaceProjector;
import dev.emend.mastery.alphaedit.ProjectorCache;
import dev.emend.mastery.ft.FtEditor;
import dev.emend.mastery.ft.FtHyperParams;
import dev.emend.mastery.ft.FtRequest;
import dev.emend.mastery.ft.FtUpdate;
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.memit.MemitHyperParams;
import dev.emend.mastery.memit.MemitUpdate;
import dev.emend.mastery.rome.RomeEditor;
import dev.emend.mastery.rome.RomeHyperParams;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.rome.RomeUpdate;
import dev.emend.mastery.stats.CovarianceCache;
import dev.emend.mastery.stats.SecondMoment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The mastery phase: FT-L, FT-M, ROME, R-ROME, MEMIT and AlphaEdit over copy-on-write weight overlays.
 * Hyperparameter defaults come from {@code hparams/<METHOD>/<model>.yaml} (EasyEdit names, chosen by
 * {@link ModelDefaults});
 * second moments C come from {@link CovarianceCache} over {@link StatsCorpus}.
 */
public final class MasteryEngine extends BasePhaseEngine {
    /** ROME's self-generated context prefixes: 10 of 5 tokens (small-model setting, see RomeHyperParams). */
    static final List<List<Integer>> CONTEXT_TEMPLATES = List.of(List.of(5, 10));

    private final CovarianceCache cache;
    private final Supplier<List<String>> corpus;
    private final Map<String, SecondMoment> moments = new ConcurrentHashMap<>();
    private final ProjectorCache projectorCache;
    private final Map<String, NullSpaceProjector> projectors = new ConcurrentHashMap<>();

    public MasteryEngine(LanguageModel lm, String modelName, CovarianceCache cache, List<String> corpus) {
        this(lm, modelName, cache, () -> corpus);
    }

    /** {@code corpus} is asked for only when C or a null-space projector is computed (see {@link StatsCorpus#lazy}). */
    public MasteryEngine(LanguageModel lm, String modelName, CovarianceCache cache, Supplier<List<String>> corpus) {
        super(Phase.MASTERY, lm, modelName, methodsWithDefaults(lm, modelName));
        this.cache = cache;
        this.corpus = corpus;
        this.projectorCache = new ProjectorCache(cache);
    }

    /**
     * The descriptors with the model's defaults as {@link ModelDefaults} chooses them (EasyEdit's
     * per-model files, scaled by depth, under an override file {@code hparams/<METHOD>/<modelName>.yaml}).
     */
    public static List<MethodDescriptor> methodsWithDefaults(LanguageModel lm, String modelName) {
        ClassLoader loader = MasteryEngine.class.getClassLoader();
        ModelDefaults.Shape shape = ModelDefaults.Shape.of(lm);
        return descriptors(lm.config().numLayers()).stream()
                .map(m -> ModelDefaults.withDefaults(m, loader, modelName, shape))
                .toList();
    }

    @Override
    public SpaceState newState() {
        return new MasteryState(lm);
    }

    // ------------------------------------------------------------------ descriptors

    static List<MethodDescriptor> descriptors(int numLayers) {
        double last = numLayers - 1;
        HparamSpec layer1 = HparamSpec.of("layers", HparamType.INT_LIST, List.of(0), 0.0, last,
                "the one layer whose MLP down-projection is edited");
        List<HparamSpec> zStep = List.of(
                new HparamSpec("fact_token", HparamType.STRING, "subject_last", null, null,
                        RomeHyperParams.FACT_TOKENS, "where the key k* is read"),
                HparamSpec.of("v_num_grad_steps", HparamType.INT, 60, 1.0, 1000.0, "iterations of the value optimisation"),
                HparamSpec.of("v_lr", HparamType.FLOAT, 0.5, 1e-6, 100.0, "Adam learning rate of the value optimisation"),
                HparamSpec.of("v_loss_layer", HparamType.INT, numLayers - 1, last, last, "must be the last layer (the loss is read from the logits)"),
                HparamSpec.of("v_weight_decay", HparamType.FLOAT, 1e-3, 0.0, 100.0, "weight of the ‖δ‖/‖v₀‖² penalty"),
                HparamSpec.of("clamp_norm_factor", HparamType.FLOAT, 8.0, 1e-6, 1e6, "‖δ‖ is clamped to this factor times the reference norm"),
                HparamSpec.of("kl_factor", HparamType.FLOAT, 0.0625, 0.0, 100.0, "weight of the KL term that keeps \"{subject} is a\" unchanged"),
                HparamSpec.of("mom2_adjustment", HparamType.BOOL, true, null, null, "use the second moment C"),
                HparamSpec.of("mom2_update_weight", HparamType.FLOAT, 15000.0, 0.0, 1e9, "λ of MEMIT/AlphaEdit's λC; unused by ROME"),
                HparamSpec.of("mom2_n_samples", HparamType.INT, 100_000, 1.0, 1e9, "corpus documents used for C"));
        List<HparamSpec> rome = new ArrayList<>();
        rome.add(layer1);
        rome.addAll(zStep);
        List<HparamSpec> memit = new ArrayList<>();
        memit.add(HparamSpec.of("layers", HparamType.INT_LIST, List.of(0, 1), 0.0, last,
                "ascending layers whose MLP down-projections share the update"));
        memit.addAll(zStep);
        List<HparamSpec> alpha = new ArrayList<>(memit);
        alpha.removeIf(h -> h.name().equals("mom2_adjustment"));
        alpha.add(HparamSpec.of("nullspace_threshold", HparamType.FLOAT, 0.1, 1e-12, 1e12,
                "eigenvalues of C below this span the null space the update is projected onto"));
        alpha.add(HparamSpec.of("L2", HparamType.FLOAT, 1.0, 1e-12, 1e12, "α, the ridge of the projected solve"));
        List<HparamSpec> ft = List.of(
                HparamSpec.of("layers", HparamType.INT_LIST, List.of(0), 0.0, last, "layers whose MLP down-projection is fine-tuned"),
                HparamSpec.of("num_steps", HparamType.INT, 25, 1.0, 10_000.0, "Adam steps"),
                HparamSpec.of("lr", HparamType.FLOAT, 5e-4, 1e-9, 10.0, "Adam learning rate"),
                HparamSpec.of("norm_constraint", HparamType.FLOAT, 5e-4, 0.0, 1e6, "W stays within W₀ ± this, elementwise (0 = none)"),
                HparamSpec.of("batch_size", HparamType.INT, 1, 1.0, 100_000.0, "requests per Adam step"));
        Set<EditMode> single = Set.of(EditMode.SINGLE, EditMode.SEQUENTIAL);
        Set<EditMode> all = Set.of(EditMode.SINGLE, EditMode.BATCH, EditMode.SEQUENTIAL);
        return List.of(
                new MethodDescriptor("ROME", "Rank-one model editing (Meng et al. 2022): solves for a new value at one MLP "
                        + "layer and writes it with a rank-one update ΔW = (v*−Wk*)(C⁻¹k*)ᵀ/(k*ᵀC⁻¹k*). Strong on the edited "
                        + "prompt; collapses under many sequential edits.", rome, single, 1, false, ""),
                new MethodDescriptor("R-ROME", "ROME with the consistent-key fix (Gupta et al. 2024): the update's key and Wk "
                        + "are averaged over the same prefixes as k*, which avoids ROME's sudden model collapse.", rome, single, 1,
                        false, ""),
                new MethodDescriptor("MEMIT", "Mass-editing memory in a transformer (Meng et al. 2023): one batch of edits "
                        + "spread over several MLP layers by a least-squares update against C.", memit, all, 0, false, ""),
                new MethodDescriptor("AlphaEdit", "Null-space constrained editing (Fang et al. 2025): MEMIT's update projected "
                        + "onto the null space of the preserved keys' second moment, solved against the keys of the space's "
                        + "earlier AlphaEdit edits, so sequential edits disturb what is kept and each other less.", alpha, all, 0,
                        false, ""),
                new MethodDescriptor("FT-L", "Constrained fine-tuning of one layer's MLP (Zhu et al. 2020): loss at the last "
                        + "prompt position, weights clamped near the original.", ft, all, 0, false, ""),
                new MethodDescriptor("FT-M", "Fine-tuning with the target masked loss (EasyEdit's FT-M): teacher-forced "
                        + "cross-entropy on the target tokens only.",
                        ft.stream().filter(h -> !h.name().equals("norm_constraint")).toList(), all, 0, false, ""));
    }

    // ------------------------------------------------------------------ validation

    @Override
    public void validate(MethodDescriptor method, Hparams hp, EditMode mode, List<EditRequest> requests) {
        boolean locates = !method.name().startsWith("FT");
        for (int i = 0; i < requests.size(); i++) {
            EditRequest r = requests.get(i);
            String at = "requests[" + i + "]";
            // Every mastery method takes KnowEdit records, whose subject is part of the fact: ROME-style
            // methods locate the key at it, FT-L/FT-M do not read it but a record without it (or with
            // one the prompt does not contain) is malformed and would mislabel the ledger and reports.
            if (r.subject().isBlank()) {
                throw EditException.invalid(at + ".subject", method.name() + " needs the subject of the fact"
                        + (locates ? " to find the key position" : "") + "; give the subject as it occurs in the prompt");
            }
            if (!r.prompt().contains(r.subject()) && !r.prompt().contains("{}")) {
                throw EditException.invalid(at + ".subject", "subject '" + r.subject() + "' does not occur in the prompt '"
                        + r.prompt() + "'; it must appear verbatim (case-sensitive)");
            }
            String filled = r.prompt().replace("{}", r.subject());
            int tokens = lm.tokenizePair(filled, r.targetNew())[0].length + lm.tokenizePair(filled, r.targetNew())[1].length;
            int prefix = locates ? CONTEXT_TEMPLATES.get(0).get(0) + 2 : 0;
            if (tokens + prefix > lm.config().maxPositions()) {
                throw EditException.precondition(at + ".prompt", "prompt + target are " + tokens + " tokens"
                        + (prefix > 0 ? " (+" + prefix + " for the context prefixes)" : "") + " but the model's context holds "
                        + lm.config().maxPositions() + ": shorten the prompt or the target");
            }
        }
        try {
            switch (method.name()) {
                case "ROME", "R-ROME" -> rome(hp, method.name().equals("R-ROME"));
                case "MEMIT" -> memit(hp);
                case "AlphaEdit" -> alphaEdit(hp);
                default -> ft(hp, method.name());
            }
        } catch (IllegalArgumentException e) {
            throw EditException.invalid("hparams", e.getMessage());
        }
    }

    RomeHyperParams rome(Hparams hp, boolean rRome) {
        return new RomeHyperParams(hp.getIntList("layers"), hp.getString("fact_token"), hp.getInt("v_num_grad_steps"),
                hp.getDouble("v_lr"), hp.getInt("v_loss_layer"), hp.getDouble("v_weight_decay"),
                hp.getDouble("clamp_norm_factor"), hp.getDouble("kl_factor"), hp.getBool("mom2_adjustment"),
                hp.getDouble("mom2_update_weight"), hp.getInt("mom2_n_samples"), CONTEXT_TEMPLATES, rRome)
                .validate(lm.config());
    }

    MemitHyperParams memit(Hparams hp) {
        return new MemitHyperParams(hp.getIntList("layers"), hp.getString("fact_token"), hp.getInt("v_num_grad_steps"),
                hp.getDouble("v_lr"), hp.getInt("v_loss_layer"), hp.getDouble("v_weight_decay"),
                hp.getDouble("clamp_norm_factor"), hp.getDouble("kl_factor"), hp.getBool("mom2_adjustment"),
                hp.getDouble("mom2_update_weight"), hp.getInt("mom2_n_samples"), CONTEXT_TEMPLATES)
                .validate(lm.config());
    }

    AlphaEditHyperParams alphaEdit(Hparams hp) {
        return new AlphaEditHyperParams(hp.getIntList("layers"), hp.getString("fact_token"), hp.getInt("v_num_grad_steps"),
                hp.getDouble("v_lr"), hp.getInt("v_loss_layer"), hp.getDouble("v_weight_decay"),
                hp.getDouble("clamp_norm_factor"), hp.getDouble("kl_factor"), hp.getDouble("mom2_update_weight"),
                hp.getInt("mom2_n_samples"), hp.getDouble("nullspace_threshold"), hp.getDouble("L2"), CONTEXT_TEMPLATES)
                .validate(lm.config());
    }

    /** AlphaEdit's null-space projector of a layer, cached on disk beside C. */
    public NullSpaceProjector projector(int layer, int samples, double threshold, Progress progress) {
        return projectors.computeIfAbsent(layer + "/" + samples + "/" + threshold, k -> projectorCache.get(lm, layer, corpus.get(),
                samples, threshold, (stage, done, total) -> progress.report("null-space projector of layer " + layer + " (" + stage + ")",
                        total == 0 ? 0 : (double) done / total)).projector());
    }

    FtHyperParams ft(Hparams hp, String method) {
        return new FtHyperParams(hp.getIntList("layers"), hp.getInt("num_steps"), hp.getDouble("lr"),
                method.equals("FT-M") ? 0 : hp.getDouble("norm_constraint"),
                method.equals("FT-M") ? "target_new" : "prompt_last", hp.getInt("batch_size")).validate(lm.config());
    }

    // ------------------------------------------------------------------ compute

    /** C of a layer, computed once per (layer, samples) and cached on disk across restarts. */
    public SecondMoment secondMoment(int layer, int samples, Progress progress) {
        return moments.computeIfAbsent(layer + "/" + samples, k -> cache.get(lm, layer, corpus.get(), samples,
                (done, total, tokens) -> progress.report("second moment C of layer " + layer, (double) done / total)).moment());
    }

    @Override
    public ComputedEdit compute(SpaceState state, MethodDescriptor method, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        MasteryState s = (MasteryState) state;
        List<Map<String, Double>> diagnostics = new ArrayList<>();
        List<List<Note>> notes = new ArrayList<>();
        Object update;
        switch (method.name()) {
            case "ROME", "R-ROME" -> {
                RomeHyperParams p = rome(hp, method.name().equals("R-ROME"));
                IntFunction<SecondMoment> c = l -> secondMoment(l, p.mom2NSamples(), progress);
                EditRequest r = requests.get(0);
                RomeUpdate u = new RomeEditor(lm, p, c).compute(s.view(), new RomeRequest(r.prompt(), r.subject(), r.targetNew()));
                Map<String, Double> d = new LinkedHashMap<>();
                d.put("delta_norm", u.deltaNorm());
                d.put("value_norm", u.valueNorm());
                d.put("steps", (double) u.steps());
                d.put("final_loss", u.finalLoss());
                d.put("target_probability", u.targetProbability());
                diagnostics.add(d);
                notes.add(convergence(u.targetProbability(), u.steps(), p.vNumGradSteps()));
                update = u;
            }
            case "MEMIT" -> {
                MemitHyperParams p = memit(hp);
                IntFunction<SecondMoment> c = l -> secondMoment(l, p.mom2NSamples(), progress);
                List<RomeRequest> rs = requests.stream().map(r -> new RomeRequest(r.prompt(), r.subject(), r.targetNew())).toList();
                MemitUpdate u = new MemitEditor(lm, p, c).compute(s.view(), rs, progress);
                for (int i = 0; i < requests.size(); i++) {
                    Map<String, Double> d = new LinkedHashMap<>();
                    if (i < u.deltaNorms().length) {
                        d.put("delta_norm", u.deltaNorms()[i]);
                        d.put("residual_norm", u.residualNorms()[i]);
                        d.put("steps", (double) u.steps()[i]);
                        d.put("target_probability", u.targetProbabilities()[i]);
                    }
                    diagnostics.add(d);
                    notes.add(i < u.steps().length ? convergence(u.targetProbabilities()[i], u.steps()[i], p.vNumGradSteps()) : List.of());
                }
                update = u;
            }
            case "AlphaEdit" -> {
                AlphaEditHyperParams p = alphaEdit(hp);
                List<RomeRequest> rs = requests.stream().map(r -> new RomeRequest(r.prompt(), r.subject(), r.targetNew())).toList();
                AlphaEditUpdate u = new AlphaEditEditor(lm, p, l -> projector(l, p.mom2NSamples(), p.nullspaceThreshold(), progress))
                        .compute(s.view(), s.alphaEditMemory(), rs, progress);
                MemitUpdate w = u.weights();
                for (int i = 0; i < requests.size(); i++) {
                    Map<String, Double> d = new LinkedHashMap<>();
                    if (i < w.deltaNorms().length) {
                        d.put("delta_norm", w.deltaNorms()[i]);
                        d.put("steps", (double) w.steps()[i]);
                        d.put("target_probability", w.targetProbabilities()[i]);
                    }
                    diagnostics.add(d);
                    notes.add(i < w.steps().length ? convergence(w.targetProbabilities()[i], w.steps()[i], p.vNumGradSteps()) : List.of());
                }
                update = u;
            }
            default -> {
                FtHyperParams p = ft(hp, method.name());
                List<FtRequest> rs = requests.stream().map(r -> new FtRequest(r.prompt(), r.targetNew())).toList();
                FtUpdate u = new FtEditor(lm, p).compute(s.view(), rs);
                for (int i = 0; i < requests.size(); i++) {
                    Map<String, Double> d = new LinkedHashMap<>();
                    d.put("steps", (double) u.steps());
                    d.put("initial_loss", u.initialLoss());
                    d.put("final_loss", u.finalLoss());
                    diagnostics.add(d);
                    notes.add(List.of());
                }
                update = u;
            }
        }
        return new ComputedEdit(method.name(), UpdateCodec.encode(update), notes, diagnostics, List.of());
    }

    private static List<Note> convergence(double p, int steps, int maxSteps) {
        if (steps >= maxSteps && p < 0.5) {
            return List.of(Note.of("NOT_CONVERGED", String.format(java.util.Locale.ROOT,
                    "the value optimisation stopped at its step limit (%d) with P(target) = %.3f; raise v_num_grad_steps "
                            + "or clamp_norm_factor, or try other layers", steps, p)));
        }
        return List.of();
    }
}
