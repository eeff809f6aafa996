package dev.emend.core.method;

import dev.emend.core.edit.BasePhaseEngine;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.Progress;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.LanguageModel;

import java.util.List;

/**
 * A phase engine whose methods are plug-ins: it holds the model and the phase's shared resources
 * (its context {@code C}) and dispatches {@link #validate} and {@link #compute} to the method the
 * request names, through the registry. A subclass adds the phase's own checks in
 * {@link #validatePhase} (run before the method's) and builds its states with {@link #methods()},
 * so that {@link SpaceState#apply} dispatches the same way.
 */
public abstract class MethodPhaseEngine<C, S extends SpaceState> extends BasePhaseEngine {
    private final PhaseMethods<C, S> plugins;
    private final Class<S> stateType;

    protected MethodPhaseEngine(Phase phase, LanguageModel lm, String modelName, PhaseMethods<C, S> plugins,
                                Class<S> stateType) {
        super(phase, lm, modelName, plugins.describe(lm, modelName));
        this.plugins = plugins;
        this.stateType = stateType;
    }

    /** The phase's context handed to every method (usually the engine itself). */
    protected abstract C context();

    /** The phase's methods, for states to apply units with. */
    public final PhaseMethods<C, S> plugins() {
        return plugins;
    }

    /** A method's descriptor by name (case-insensitive), or INVALID_ARGUMENT listing the phase's methods. */
    public final MethodDescriptor method(String name) {
        String canonical = plugins.get(name).name();
        return MethodDescriptor.find(methods(), canonical).orElseThrow();
    }

    /** Checks every method of the phase shares; the default checks nothing. */
    protected void validatePhase(MethodDescriptor method, Hparams hparams, EditMode mode, List<EditRequest> requests) {
    }

    @Override
    public final void validate(MethodDescriptor method, Hparams hparams, EditMode mode, List<EditRequest> requests) {
        EditingMethod<C, S> m = plugins.get(method.name());
        validatePhase(method, hparams, mode, requests);
        m.validate(context(), hparams, mode, requests);
    }

    @Override
    public final ComputedEdit compute(SpaceState state, MethodDescriptor method, Hparams hparams,
                                      List<EditRequest> requests, Progress progress) {
        if (!stateType.isInstance(state)) {
            throw new IllegalArgumentException("not a " + phase().name().toLowerCase(java.util.Locale.ROOT) + " state: "
                    + state.getClass().getName());
        }
        return plugins.get(method.name()).compute(context(), stateType.cast(state), hparams, requests, progress);
    }
}
