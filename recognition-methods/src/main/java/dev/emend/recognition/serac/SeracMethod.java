package dev.emend.recognition.serac;

import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.recognition.engine.InContextMethod;
import dev.emend.recognition.engine.QueryConfig;
import dev.emend.recognition.engine.RecognitionMethods;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * SERAC-style scope gating: a query whose fused retrieval score reaches the calibrated threshold
 * ({@link ThresholdCalibration}) is answered with the edit in context (like ICE or IKE, hparam
 * {@code context_method}); every other query reaches the untouched base model.
 */
public final class SeracMethod extends InContextMethod {
    @Override
    public String name() {
        return RecognitionMethods.SERAC;
    }

    /** The phase's default (./emend demo, ./emend edit without --method): reliable and quick on the default model. */
    @Override
    public boolean phaseDefault() {
        return true;
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        List<HparamSpec> specs = new ArrayList<>();
        specs.add(HparamSpec.of(RecognitionMethods.THRESHOLD, HparamType.FLOAT, 0.6, 0.0, 1.0,
                "scope gate: a query is in scope of an edit when their fused retrieval score reaches this; "
                        + "calibrated for F1 by ThresholdCalibration"));
        specs.add(new HparamSpec(RecognitionMethods.CONTEXT_METHOD, HparamType.STRING, RecognitionMethods.ICE, null, null,
                List.of(RecognitionMethods.ICE, RecognitionMethods.IKE),
                "how an in-scope query is answered: the edit alone in context (ICE) or with demonstrations (IKE)"));
        specs.addAll(RecognitionMethods.demonstrations());
        specs.addAll(RecognitionMethods.retrieval());
        return new MethodDescriptor(name(), "SERAC-style scope gating: in-scope queries (retrieval score above a "
                + "calibrated threshold) are answered with the edit in context, all others by the untouched base model",
                specs, Set.of(EditMode.values()), RecognitionMethods.MAX_BATCH, true, "");
    }

    @Override
    protected QueryConfig queryConfig(Hparams hparams) {
        boolean demonstrations = hparams.getString(RecognitionMethods.CONTEXT_METHOD).equals(RecognitionMethods.IKE);
        return QueryConfig.of(name(), true, demonstrations, hparams);
    }
}
