package dev.emend.recognition.config;

import dev.emend.core.edit.PhaseEngine;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.phase.service.ModelProducer;
import dev.emend.recognition.engine.RecognitionEngine;
import dev.emend.recognition.retrieval.Embedder;
import dev.emend.recognition.retrieval.EmbeddingCache;
import dev.emend.recognition.memory.DemonstrationPool;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Wires the recognition engine (IKE, ICE, SERAC) into the shared Editor service (module phase-service). */
@ApplicationScoped
public class RecognitionEngineProducer {
    @ConfigProperty(name = "emend.model.name")
    Optional<String> modelName;
    /** Directory of KnowEdit {@code *-train.json} files for IKE's demonstrations; default benchmarks/<model name>. */
    @ConfigProperty(name = "emend.recognition.demonstrations")
    Optional<String> demonstrations;
    /** Where the pool's embeddings are kept between starts (per model and pool; see EmbeddingCache). */
    @ConfigProperty(name = "emend.recognition.embedding-cache")
    Optional<String> embeddingCache;

    @Produces
    @Singleton
    PhaseEngine engine(LanguageModel lm) {
        String name = modelName.orElse(lm.directory().getFileName().toString());
        Path dir = ModelProducer.resolve(demonstrations.orElse("benchmarks/" + name));
        DemonstrationPool pool = DemonstrationPool.fromTrainFiles(dir);
        if (pool.size() == 0) {
            Log.warnf("no *-train.json under %s: IKE has no demonstrations and the retrieval centre is zero; "
                    + "set emend.recognition.demonstrations to a directory of KnowEdit training files", dir);
        }
        long t0 = System.nanoTime();
        RecognitionEngine engine = new RecognitionEngine(lm, name, pool, false, Embedder.Pooling.LAST,
                embeddingCache.map(d -> new EmbeddingCache(Path.of(d))).orElse(null));
        Log.infof("recognition engine ready in %.1f s: %d demonstrations from %s", (System.nanoTime() - t0) / 1e9, pool.size(), dir);
        return engine;
    }
}
