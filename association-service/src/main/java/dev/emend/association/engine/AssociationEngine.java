package dev.emend.association.engine;

import dev.emend.association.grace.GraceEditor;
import dev.emend.association.lora.LoraEditor;
import dev.emend.association.wise.WiseEditor;
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
import dev.emend.core.model.ContextLengthException;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The association phase (GRACE, WISE, LoRA) behind the shared phase SPI. Hyperparameters carry
 * EasyEdit's names; defaults come from EasyEdit's per-model files chosen by {@link ModelDefaults}
 * (exact shape, else the nearest published model scaled by depth, under an override file
 * {@code hparams/<METHOD>/<model>.yaml}), else the built-in values below (which place GRACE and
 * WISE at ~2/3 of the model's depth). Rollback is never exact in the MethodDescriptor sense (later
 * edits are computed against earlier ones) — see the module README for what a rebuild undoes.
 */
public final class AssociationEngine extends BasePhaseEngine {
    public AssociationEngine(LanguageModel lm, String modelName) {
        super(Phase.ASSOCIATION, lm, modelName, methodsWithDefaults(lm, modelName));
    }

    /** GRACE, WISE and LoRA with the model's defaults as {@link ModelDefaults} chooses them. */
    public static List<MethodDescriptor> methodsWithDefaults(LanguageModel lm, String modelName) {
        ClassLoader cl = AssociationEngine.class.getClassLoader();
        ModelDefaults.Shape shape = ModelDefaults.Shape.of(lm);
        return descriptors(lm).stream()
                .map(m -> ModelDefaults.withDefaults(m, cl, modelName, shape))
                .toList();
    }

    /** GRACE, WISE and LoRA with their built-in defaults. */
    static List<MethodDescriptor> descriptors(LanguageModel lm) {
        return List.of(grace(lm), wise(lm), lora(lm));
    }

    private static String downProj(LanguageModel lm, int layer) {
        return InnerParams.name(lm.model(), layer);
    }

    private static int defaultLayer(LanguageModel lm) {
        return Math.max(0, (int) Math.round((lm.config().numLayers() - 1) * 2.0 / 3.0));
    }

    private static HparamSpec f(String name, double def, Double min, Double max, String desc) {
        return HparamSpec.of(name, HparamType.FLOAT, def, min, max, desc);
    }

    private static HparamSpec i(String name, int def, Double min, Double max, String desc) {
        return HparamSpec.of(name, HparamType.INT, def, min, max, desc);
    }

    private static HparamSpec s(String name, String def, List<String> allowed, String desc) {
        return new HparamSpec(name, HparamType.STRING, def, null, null, allowed, desc);
    }

    private static MethodDescriptor grace(LanguageModel lm) {
        List<HparamSpec> specs = List.of(
                HparamSpec.of("inner_params", HparamType.STRING_LIST, List.of(downProj(lm, defaultLayer(lm))), null, null,
                        "the MLP down-projection the codebook wraps (one module)"),
                f("edit_lr", 1.0, 1e-6, 100.0, "Adam learning rate of the value vector (reference: 1.0)"),
                i("n_iter", 100, 1.0, 10000.0, "maximum value-training steps (early stop at loss < 1e-2)"),
                f("eps", 1.0, 0.0, null, "initial deferral radius of a new key, in dist_fn units"),
                s("dist_fn", "euc", List.of("euc", "cos"), "key distance: Euclidean or 1 − cosine"),
                s("val_init", "cold", List.of("cold", "warm"), "value start: U[0,1) (cold) or the layer's output (warm)"),
                s("replacement", "replace_last", List.of("replace_last", "replace_all", "replace_prompt"),
                        "which positions a match replaces"),
                s("eps_expand", "coverage", List.of("coverage", "moving_average"),
                        "same-label key just outside its radius: grow the radius (coverage) or also move the key halfway"));
        return new MethodDescriptor("GRACE", "GRACE: a codebook of (key, value, radius) at one layer; a query within a key's"
                + " radius gets that key's value (Hartvigsen et al. 2023)", specs,
                Set.of(EditMode.SINGLE, EditMode.SEQUENTIAL), 1, false, "built-in");
    }

    private static MethodDescriptor wise(LanguageModel lm) {
        List<HparamSpec> specs = List.of(
                HparamSpec.of("inner_params", HparamType.STRING_LIST, List.of(downProj(lm, defaultLayer(lm))), null, null,
                        "the MLP down-projection copied as side memory (one module)"),
                f("edit_lr", 1.0, 1e-6, 100.0, "SGD learning rate of the side memory"),
                i("n_iter", 70, 1.0, 10000.0, "maximum training steps per edit"),
                f("mask_ratio", 0.2, 1e-4, 1.0, "fraction of side-memory entries a shard's random gradient mask opens"),
                f("norm_constraint", 1.0, 1e-9, null, "clamp W_v′ to W_v ± this, elementwise"),
                new HparamSpec("act_margin", HparamType.FLOAT_LIST, List.of(5.0, 20.0, 10.0), 0.0, null, List.of(),
                        "α, β, γ of the routing margins: Δ(irrelevant) < α, Δ(edit) > β, Δ(edit) − Δ(irrelevant) > γ"),
                f("act_ratio", 0.88, 1e-6, 10.0, "router threshold = act_ratio × the smallest in-scope Δ of the edits"),
                i("save_freq", 500, 1.0, null, "edits per shard (a new random mask each shard)"),
                i("merge_freq", 1000, 1.0, null, "shards are merged (TIES) every merge_freq edits; a multiple of save_freq"),
                s("merge_alg", "ties", List.of("ties"), "shard merging algorithm"),
                f("densities", 0.53, 0.0, 1.0, "TIES: fraction of each shard's largest entries kept"),
                f("weights", 1.0, 1e-9, null, "TIES: total weight of the merged shards"),
                HparamSpec.of("retrieve", HparamType.BOOL, true, null, null,
                        "WISE-Retrieve (merged groups kept apart, routed by top Δ) instead of WISE-Merge (one merged memory)"),
                s("objective_optimization", "only_label", List.of("only_label"), "loss on the target tokens only"),
                i("seed", 0, 0.0, null, "seed of the shards' gradient masks"));
        return new MethodDescriptor("WISE", "WISE: a side copy of one layer's down-projection, edited in masked shards and"
                + " chosen per input by an activation router (Wang et al. 2024)", specs,
                Set.of(EditMode.SINGLE, EditMode.SEQUENTIAL), 1, false, "built-in");
    }

    private static MethodDescriptor lora(LanguageModel lm) {
        List<String> modules = List.of(lm.model().shortModuleName(Projection.MLP_UP), lm.model().shortModuleName(Projection.MLP_DOWN));
        List<HparamSpec> specs = List.of(
                s("lora_type", "lora", List.of("lora"), "plain LoRA (AdaLoRA is not offered)"),
                HparamSpec.of("layers", HparamType.INT_LIST, List.of(), 0.0, null, "layers to adapt; empty = all"),
                HparamSpec.of("target_modules", HparamType.STRING_LIST, modules, null, null,
                        "projections to adapt, in EasyEdit/PEFT module names"),
                i("rank", 8, 1.0, 4096.0, "adapter rank r"),
                f("lora_alpha", 32.0, 1e-9, null, "scale α (the update is α/r · x A B)"),
                f("lr", 5e-3, 1e-9, 10.0, "Adam learning rate"),
                i("num_steps", 30, 1.0, 10000.0, "maximum training steps (early stop at loss < 1e-2)"),
                i("seed", 0, 0.0, null, "seed of the A initialisation"));
        return new MethodDescriptor("LoRA", "LoRA: a low-rank adapter per ledger unit over the frozen base, trained on the"
                + " target tokens (FT-M objective); rollback drops it", specs,
                Set.of(EditMode.SINGLE, EditMode.BATCH, EditMode.SEQUENTIAL), 256, false, "built-in");
    }

    /** Looks a method up by name (case-insensitive) or fails with NOT_FOUND. */
    public MethodDescriptor method(String name) {
        return MethodDescriptor.find(methods(), name).orElseThrow(() -> new EditException(EditException.Reason.NOT_FOUND,
                "method", "unknown association method '" + name + "'; offered: GRACE, WISE, LoRA"));
    }

    @Override
    public SpaceState newState() {
        return new AssociationState(lm);
    }

    @Override
    public void validate(MethodDescriptor method, Hparams hp, EditMode mode, List<EditRequest> requests) {
        if (requests == null || requests.isEmpty()) {
            throw EditException.invalid("requests", "no edit requests: send at least one");
        }
        if (!method.modes().contains(mode)) {
            throw EditException.invalid("mode", method.name() + " does not support " + mode + "; use one of " + method.modes());
        }
        if (mode == EditMode.SINGLE && requests.size() != 1) {
            throw EditException.invalid("requests", "SINGLE mode takes exactly one request, got " + requests.size());
        }
        // BATCH sizes are checked by the service on each unit (a call may be split by its batch_size)
        for (int k = 0; k < requests.size(); k++) {
            EditRequest r = requests.get(k);
            String at = "requests[" + k + "]";
            if (r.prompt().isBlank()) {
                throw EditException.invalid(at + ".prompt", "the prompt is empty");
            }
            if (r.targetNew().isBlank()) {
                throw EditException.invalid(at + ".target_new", "the target is empty: say what the model should answer");
            }
            // The subject is optional here (GRACE, WISE and LoRA key on the prompt), but one that is
            // given must be part of the prompt, as in every KnowEdit record.
            if (!r.subject().isEmpty() && !r.prompt().contains(r.subject()) && !r.prompt().contains("{}")) {
                throw EditException.invalid(at + ".subject", "subject '" + r.subject() + "' does not occur in the prompt '"
                        + r.prompt() + "'; it must appear verbatim (case-sensitive), or leave the subject out");
            }
            try {
                lm.tokenizePair(r.prompt(), r.targetNew().strip());
            } catch (ContextLengthException e) {
                throw EditException.precondition(at + ".prompt", "prompt + target need " + e.getMessage()
                        + "; shorten the prompt or the target");
            }
        }
        switch (method.name()) {
            case "GRACE" -> InnerParams.layer(hp.getStringList("inner_params"), lm.model());
            case "WISE" -> {
                InnerParams.layer(hp.getStringList("inner_params"), lm.model());
                if (hp.getDoubleList("act_margin").size() != 3) {
                    throw EditException.invalid("hparams.act_margin", "give three margins [α, β, γ], e.g. [5.0, 20.0, 10.0]");
                }
                if (hp.getInt("merge_freq") % hp.getInt("save_freq") != 0) {
                    throw EditException.invalid("hparams.merge_freq", "merge_freq " + hp.getInt("merge_freq")
                            + " must be a multiple of save_freq " + hp.getInt("save_freq"));
                }
            }
            case "LoRA" -> new LoraEditor(lm).targets(hp);
            default -> throw new EditException(EditException.Reason.NOT_FOUND, "method", "unknown association method '"
                    + method.name() + "'");
        }
    }

    @Override
    public ComputedEdit compute(SpaceState state, MethodDescriptor method, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        if (!(state instanceof AssociationState s)) {
            throw new IllegalArgumentException("not an association state: " + state);
        }
        progress.report(method.name(), 0);
        List<List<Note>> notes = new ArrayList<>();
        List<Map<String, Double>> diags = new ArrayList<>();
        byte[] payload;
        double[] dg = new double[6];
        switch (method.name()) {
            case "GRACE" -> {
                requireOne(method, requests);
                int layer = InnerParams.layer(hp.getStringList("inner_params"), lm.model());
                payload = new GraceEditor(lm).compute(s.view(), s.codebook(layer), hp, requests.get(0), dg);
                diags.add(diag("steps", dg[0], "loss_first", dg[1], "loss_last", dg[2], "nearest_key_distance", dg[3]));
                notes.add(converged(dg[2], GraceEditor.class.getSimpleName()));
            }
            case "WISE" -> {
                requireOne(method, requests);
                int layer = InnerParams.layer(hp.getStringList("inner_params"), lm.model());
                payload = new WiseEditor(lm).compute(s.viewWithoutWise(layer), s.wiseMemory(layer), hp, requests.get(0), dg);
                diags.add(diag("steps", dg[0], "loss_first", dg[1], "loss_last", dg[2], "edit_activation", dg[3], "ce_last", dg[4],
                        "margin_loss_last", dg[5]));
                notes.add(converged(dg[2], "WISE"));
            }
            case "LoRA" -> {
                payload = new LoraEditor(lm).compute(s.view(), hp, requests, dg);
                for (int k = 0; k < requests.size(); k++) {
                    diags.add(diag("steps", dg[0], "loss_first", dg[1], "loss_last", dg[2], "nearest_key_distance", Double.NaN));
                    notes.add(converged(dg[2], "LoRA"));
                }
            }
            default -> throw new EditException(EditException.Reason.NOT_FOUND, "method", "unknown association method '"
                    + method.name() + "'");
        }
        progress.report(method.name(), 1);
        return new ComputedEdit(method.name(), payload, notes, diags, List.of());
    }

    private static void requireOne(MethodDescriptor method, List<EditRequest> requests) {
        if (requests.size() != 1) {
            throw EditException.invalid("requests", method.name() + " computes one request per ledger unit; send them"
                    + " SEQUENTIAL");
        }
    }

    private static List<Note> converged(double lastLoss, String who) {
        // loss above 0.5 means P(target) well under 0.6 on average: the edit may not hold
        return lastLoss > 0.5 ? List.of(Note.of("NOT_CONVERGED", who + " training ended at loss " + String.format(Locale.ROOT,
                "%.3f", lastLoss) + "; raise n_iter / the learning rate")) : List.of();
    }

    private static Map<String, Double> diag(Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int k = 0; k < kv.length; k += 2) {
            double v = (Double) kv[k + 1];
            if (!Double.isNaN(v)) {
                m.put((String) kv[k], v);
            }
        }
        return m;
    }
}
