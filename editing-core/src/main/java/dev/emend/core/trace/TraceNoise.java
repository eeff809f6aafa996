package dev.emend.core.trace;

import dev.emend.core.runtime.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The embedding std that scales the corruption noise (σ = 3 × std), chosen the same way by the
 * Tracing service and {@code ./emend trace}: ROME's {@code collect_embedding_std}, the std of the
 * subjects' token embeddings, over the subjects of {@code facts.json} in the model directory when
 * there is one; else the std of the whole token-embedding matrix.
 */
public record TraceNoise(double std, String source) {
    public static TraceNoise forModel(LanguageModel lm, Path modelDir) {
        Path facts = modelDir == null ? null : modelDir.resolve("facts.json");
        if (facts != null && Files.isRegularFile(facts)) {
            try {
                List<String> subjects = FactPrompts.load(facts, 1L).stream().map(FactPrompts.Fact::subject).toList();
                if (!subjects.isEmpty()) {
                    return new TraceNoise(CausalTracer.subjectEmbeddingStd(lm, subjects),
                            "subjects of " + modelDir.getFileName() + "/facts.json");
                }
            } catch (IOException | RuntimeException e) {
                // fall through to the matrix std; the source says which was used
            }
        }
        return new TraceNoise(CausalTracer.tokenEmbeddingStd(lm, null), "token-embedding matrix");
    }
}
