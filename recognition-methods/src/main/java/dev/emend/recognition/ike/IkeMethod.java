package dev.emend.recognition.ike;

import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.recognition.engine.InContextMethod;
import dev.emend.recognition.engine.QueryConfig;
import dev.emend.recognition.engine.RecognitionMethods;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** IKE (Zheng et al. 2023): retrieved demonstrations, then the retrieved new fact, then the query. */
public final class IkeMethod extends InContextMethod {
    @Override
    public String name() {
        return RecognitionMethods.IKE;
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        List<HparamSpec> specs = new ArrayList<>(RecognitionMethods.demonstrations());
        specs.addAll(RecognitionMethods.retrieval());
        return new MethodDescriptor(name(), "In-context knowledge editing (Zheng et al. 2023): k retrieved copy/update/"
                + "retain demonstrations, most similar last, then the retrieved new fact, then the query",
                specs, Set.of(EditMode.values()), RecognitionMethods.MAX_BATCH, true, "");
    }

    @Override
    protected QueryConfig queryConfig(Hparams hparams) {
        return QueryConfig.of(name(), false, true, hparams);
    }
}
