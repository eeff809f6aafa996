package dev.emend.mastery.engine;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.Phase;
import dev.emend.core.method.EditingMethod;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.memit.MemitUpdate;
import dev.emend.mastery.rome.RomeHyperParams;
import dev.emend.mastery.rome.RomeRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import dev.emend.mastery.memit.MemitHyperParams;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the mastery methods share: their phase, context ({@link MasteryEngine}: the base model, C
 * and AlphaEdit's projectors) and state ({@link MasteryState}: a copy-on-write weight overlay), the
 * request checks every weight edit passes, the ledger payload codec ({@link UpdateCodec}) and the
 * specs of the value optimisation ROME, MEMIT and AlphaEdit share. Rollback of a weight edit
 * rebuilds the overlay from the remaining payloads; later edits were computed against the rolled
 * back one, so it is not exact.
 */
public abstract class MasteryMethod implements EditingMethod<MasteryEngine, MasteryState> {
    /** ROME's self-generated context prefixes: 10 of 5 tokens (small-model setting, see RomeHyperParams). */
    protected static final List<List<Integer>> CONTEXT_TEMPLATES = List.of(List.of(5, 10));
    /**
     * MEMIT's and AlphaEdit's: 5 of 10 tokens, one from each start word, which the references
     * hard-code ({@code memit_main.get_context_templates}, "Be careful about changing this") where
     * ROME reads its length parameters from the hyperparameters. Until 2026-12-07 Emend gave them
     * ROME's 10 of 5; the z-step then ran 12 rows per request instead of 7.
     */
    protected static final List<List<Integer>> MEMIT_CONTEXT_TEMPLATES = MemitHyperParams.REFERENCE_CONTEXT_TEMPLATES;

    /** The self-generated context prefixes this method's key and value steps average over. */
    protected List<List<Integer>> contextTemplates() {
        return CONTEXT_TEMPLATES;
    }

    @Override
    public final Phase phase() {
        return Phase.MASTERY;
    }

    @Override
    public final Class<MasteryEngine> contextType() {
        return MasteryEngine.class;
    }

    @Override
    public final Class<MasteryState> stateType() {
        return MasteryState.class;
    }

    /** The method on a model of {@code numLayers} layers, with its built-in defaults. */
    public abstract MethodDescriptor describe(int numLayers);

    @Override
    public final MethodDescriptor describe(LanguageModel lm) {
        return describe(lm.config().numLayers());
    }

    @Override
    public String rollback() {
        return "rebuild: the overlay is W₀ plus the remaining edits' stored updates in ledger order; later edits were "
                + "computed against the rolled-back one, so the result is not what they would have been without it";
    }

    /** Whether the method reads the key at the subject (and needs room for ROME's context prefixes). */
    protected abstract boolean locatesSubject();

    /** A method's own check of one request (field path {@code at}); none by default. */
    protected void checkRequest(EditRequest r, String at) {
    }

    /** Builds (and so checks) the method's typed hyperparameters on the engine's model; IllegalArgumentException when wrong. */
    protected abstract void checkHparams(MasteryEngine engine, Hparams hp);

    /** Decodes a payload this method wrote, or says it is another method's. */
    protected static <T> T decode(LedgerUnit unit, Class<T> type) {
        Object update = UpdateCodec.decode(unit.payload());
        if (!type.isInstance(update)) {
            throw new IllegalArgumentException("a " + unit.method() + " unit holds a " + update.getClass().getSimpleName()
                    + " payload, not a " + type.getSimpleName());
        }
        return type.cast(update);
    }

    @Override
    public final void validate(MasteryEngine engine, Hparams hp, EditMode mode, List<EditRequest> requests) {
        LanguageModel lm = engine.model();
        boolean locates = locatesSubject();
        for (int i = 0; i < requests.size(); i++) {
            EditRequest r = requests.get(i);
            String at = "requests[" + i + "]";
            // Every mastery method takes KnowEdit records, whose subject is part of the fact: ROME-style
            // methods locate the key at it, FT-L/FT-M do not read it but a record without it (or with
            // one the prompt does not contain) is malformed and would mislabel the ledger and reports.
            if (r.subject().isBlank()) {
                throw EditException.invalid(at + ".subject", name() + " needs the subject of the fact"
                        + (locates ? " to find the key position" : "") + "; give the subject as it occurs in the prompt");
            }
            if (!r.prompt().contains(r.subject()) && !r.prompt().contains("{}")) {
                throw EditException.invalid(at + ".subject", "subject '" + r.subject() + "' does not occur in the prompt '"
                        + r.prompt() + "'; it must appear verbatim (case-sensitive)");
            }
            checkRequest(r, at);
            String filled = r.prompt().replace("{}", r.subject());
            int tokens = lm.tokenizePair(filled, r.targetNew())[0].length + lm.tokenizePair(filled, r.targetNew())[1].length;
            int prefix = locates ? contextTemplates().stream().mapToInt(t -> t.get(0)).max().orElse(0) + 2 : 0;
            if (tokens + prefix > lm.config().maxPositions()) {
                throw EditException.precondition(at + ".prompt", "prompt + target are " + tokens + " tokens"
                        + (prefix > 0 ? " (+" + prefix + " for the context prefixes)" : "") + " but the model's context holds "
                        + lm.config().maxPositions() + ": shorten the prompt or the target");
            }
        }
        try {
            checkHparams(engine, hp);
        } catch (IllegalArgumentException e) {
            throw EditException.invalid("hparams", e.getMessage());
        }
    }

    protected static List<RomeRequest> romeRequests(List<EditRequest> requests) {
        return requests.stream().map(r -> new RomeRequest(r.prompt(), r.subject(), r.targetNew())).toList();
    }

    /** A NOT_CONVERGED note when the value optimisation stopped at its step limit short of P = 0.5. */
    protected static List<Note> convergence(double p, int steps, int maxSteps) {
        if (steps >= maxSteps && p < 0.5) {
            return List.of(Note.of("NOT_CONVERGED", String.format(Locale.ROOT,
                    "the value optimisation stopped at its step limit (%d) with P(target) = %.3f; raise v_num_grad_steps "
                            + "or clamp_norm_factor, or try other layers", steps, p)));
        }
        return List.of();
    }

    /**
     * The unit of a MEMIT-style update ({@code w}: MEMIT's own, or AlphaEdit's weights) for
     * {@code n} requests: per request its delta norm (and residual norm, for MEMIT), z-step steps
     * and P(target), and a NOT_CONVERGED note where the z step stopped short.
     */
    protected ComputedEdit layerEdit(Object update, MemitUpdate w, int n, int maxSteps, boolean residuals) {
        List<Map<String, Double>> diagnostics = new ArrayList<>();
        List<List<Note>> notes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Double> d = new LinkedHashMap<>();
            if (i < w.deltaNorms().length) {
                d.put("delta_norm", w.deltaNorms()[i]);
                if (residuals) {
                    d.put("residual_norm", w.residualNorms()[i]);
                }
                d.put("steps", (double) w.steps()[i]);
                d.put("target_probability", w.targetProbabilities()[i]);
            }
            diagnostics.add(d);
            notes.add(i < w.steps().length ? convergence(w.targetProbabilities()[i], w.steps()[i], maxSteps) : List.of());
        }
        return new ComputedEdit(name(), UpdateCodec.encode(update), notes, diagnostics, List.of());
    }

    /** The one-layer spec of ROME and R-ROME. */
    protected static HparamSpec oneLayer(int numLayers) {
        return HparamSpec.of("layers", HparamType.INT_LIST, List.of(0), 0.0, numLayers - 1.0,
                "the one layer whose MLP down-projection is edited");
    }

    /** The specs of the value optimisation (z step) and C that ROME, MEMIT and AlphaEdit share. */
    protected static List<HparamSpec> zStep(int numLayers) {
        double last = numLayers - 1;
        return List.of(
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
    }

    /** MEMIT's layers spec (also AlphaEdit's). */
    protected static HparamSpec layers(int numLayers) {
        return HparamSpec.of("layers", HparamType.INT_LIST, List.of(0, 1), 0.0, numLayers - 1.0,
                "ascending layers whose MLP down-projections share the update");
    }
}
