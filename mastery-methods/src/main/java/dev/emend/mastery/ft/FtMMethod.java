package dev.emend.mastery.ft;

import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;

/** FT-M (EasyEdit's FT-M): teacher-forced cross-entropy on the target tokens only, no norm constraint. */
public final class FtMMethod extends FtMethod {
    @Override
    public String name() {
        return "FT-M";
    }

    /** The phase's default (./emend demo, ./emend edit without --method): reliable and quick on the default model. */
    @Override
    public boolean phaseDefault() {
        return true;
    }

    @Override
    protected String description() {
        return "Fine-tuning with the target masked loss (EasyEdit's FT-M): teacher-forced "
                + "cross-entropy on the target tokens only.";
    }

    @Override
    public MethodDescriptor describe(int numLayers) {
        return descriptor(specs(numLayers).stream().filter(h -> !h.name().equals("norm_constraint")).toList());
    }

    @Override
    protected String objective() {
        return "target_new";
    }

    @Override
    protected double normConstraint(Hparams hp) {
        return 0;
    }
}
