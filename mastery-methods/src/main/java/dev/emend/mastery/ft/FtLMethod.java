package dev.emend.mastery.ft;

import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;

/** FT-L (Zhu et al. 2020): loss at the last prompt position, weights clamped near the original. */
public final class FtLMethod extends FtMethod {
    @Override
    public String name() {
        return "FT-L";
    }

    @Override
    protected String description() {
        return "Constrained fine-tuning of one layer's MLP (Zhu et al. 2020): loss at the last "
                + "prompt position, weights clamped near the original.";
    }

    @Override
    public MethodDescriptor describe(int numLayers) {
        return descriptor(specs(numLayers));
    }

    @Override
    protected String objective() {
        return "prompt_last";
    }

    @Override
    protected double normConstraint(Hparams hp) {
        return hp.getDouble("norm_constraint");
    }
}
