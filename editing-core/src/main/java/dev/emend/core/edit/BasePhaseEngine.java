package dev.emend.core.edit;

import dev.emend.core.runtime.LanguageModel;

import java.util.List;
import java.util.Objects;

/**
 * What every phase engine holds the same way: its phase, the frozen base model, the checkpoint's
 * name and the methods offered (defaults already read from the hparams YAML files by the subclass).
 * Subclasses keep their own constructor logic and hand the finished method list to this one.
 */
public abstract class BasePhaseEngine implements PhaseEngine {
    private final Phase phase;
    /** The frozen base model every space is built on. */
    protected final LanguageModel lm;
    /** Human name of the base checkpoint, e.g. "emend-facts". */
    protected final String modelName;
    private final List<MethodDescriptor> methods;

    protected BasePhaseEngine(Phase phase, LanguageModel lm, String modelName, List<MethodDescriptor> methods) {
        this.phase = Objects.requireNonNull(phase, "phase");
        this.lm = Objects.requireNonNull(lm, "lm");
        this.modelName = modelName;
        this.methods = List.copyOf(methods);
    }

    @Override
    public final Phase phase() {
        return phase;
    }

    @Override
    public final LanguageModel model() {
        return lm;
    }

    @Override
    public final String modelName() {
        return modelName;
    }

    @Override
    public final List<MethodDescriptor> methods() {
        return methods;
    }
}
