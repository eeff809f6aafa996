package dev.emend.recognition.ice;

import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.recognition.engine.InContextMethod;
import dev.emend.recognition.engine.QueryConfig;
import dev.emend.recognition.engine.RecognitionMethods;
import java.util.Set;

/** ICE: only the retrieved new fact(s) before the query, no demonstrations. */
public final class IceMethod extends InContextMethod {
    @Override
    public String name() {
        return RecognitionMethods.ICE;
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        return new MethodDescriptor(name(), "In-context editing with only the retrieved new fact(s) before the query",
                RecognitionMethods.retrieval(), Set.of(EditMode.values()), RecognitionMethods.MAX_BATCH, true, "");
    }

    @Override
    protected QueryConfig queryConfig(Hparams hparams) {
        return QueryConfig.of(name(), false, false, hparams);
    }
}
