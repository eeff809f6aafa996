package dev.emend.association.engine;

import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.method.MethodPhaseEngine;
import dev.emend.core.method.MethodRegistry;
import dev.emend.core.method.PhaseMethods;
import dev.emend.core.model.ContextLengthException;
import dev.emend.core.runtime.LanguageModel;
import java.util.List;

/**
 * The association phase behind the shared phase SPI: the base model, the checks every association
 * edit passes ({@link #validatePhase}) and dispatch to the methods (GRACE, WISE, LoRA and any other
 * {@link AssociationMethod} on the classpath), which the {@link MethodRegistry} finds. Hyperparameters
 * carry EasyEdit's names; defaults come from EasyEdit's per-model files chosen by {@link ModelDefaults}
 * (exact shape, else the nearest published model scaled by depth, under an override file
 * {@code hparams/<METHOD>/<model>.yaml}), else each method's built-in values. Rollback is never exact
 * in the MethodDescriptor sense (later edits are computed against earlier ones) — see the module
 * README for what a rebuild undoes.
 */
public final class AssociationEngine extends MethodPhaseEngine<AssociationEngine, AssociationState> {
    public AssociationEngine(LanguageModel lm, String modelName) {
        super(Phase.ASSOCIATION, lm, modelName, registered(), AssociationState.class);
    }

    /**
     * The association methods on the classpath with the model's defaults as {@link ModelDefaults}
     * chooses them (for {@code model-info} and tests; the engine offers the same list).
     */
    public static List<MethodDescriptor> methodsWithDefaults(LanguageModel lm, String modelName) {
        return registered().describe(lm, modelName);
    }

    /** The association methods with their built-in defaults. */
    static List<MethodDescriptor> descriptors(LanguageModel lm) {
        return registered().all().stream().map(m -> m.describe(lm)).toList();
    }

    private static PhaseMethods<AssociationEngine, AssociationState> registered() {
        return MethodRegistry.load().phase(Phase.ASSOCIATION, AssociationEngine.class, AssociationState.class);
    }

    @Override
    protected AssociationEngine context() {
        return this;
    }

    @Override
    public SpaceState newState() {
        return new AssociationState(lm, plugins());
    }

    @Override
    protected void validatePhase(MethodDescriptor method, Hparams hp, EditMode mode, List<EditRequest> requests) {
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
    }
}
