package dev.emend.recognition.toy;

import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.recognition.engine.InContextMethod;
import dev.emend.recognition.engine.QueryConfig;
import dev.emend.recognition.retrieval.Fusion;
import java.util.List;
import java.util.Set;

/**
 * A toy recognition method that exists only in this test source set, registered by one line in
 * {@code src/test/resources/META-INF/services/dev.emend.core.method.EditingMethod}: a query whose
 * k-NN cosine to a stored edit reaches {@code threshold} gets that one fact in context, every other
 * query reaches the base model. Nothing else names it: the engine, Describe, the gateway's
 * {@code /v1/methods} and the contract test {@code NearestFactEditorTest} find it through the registry.
 */
public final class NearestFactMethod extends InContextMethod {
    @Override
    public String name() {
        return "NEAREST";
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        return new MethodDescriptor(name(), "toy: the nearest stored fact by k-NN cosine, in context when the cosine "
                + "reaches the threshold", List.of(
                        HparamSpec.of("threshold", HparamType.FLOAT, 0.9, 0.0, 1.0, "cosine a query needs to see the fact"),
                        HparamSpec.of("candidates", HparamType.INT, 20, 1.0, 1000.0, "neighbours looked at")),
                Set.of(EditMode.values()), 100, true, "");
    }

    @Override
    protected QueryConfig queryConfig(Hparams h) {
        return new QueryConfig(name(), true, h.getDouble("threshold"), false, 0, List.of(1.0, 1.0, 1.0), "space", 1,
                new Fusion(0, 1, h.getInt("candidates")));
    }
}
