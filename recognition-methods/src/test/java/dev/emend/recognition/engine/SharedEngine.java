package dev.emend.recognition.engine;

import java.nio.file.Path;

/** One engine over the real default model for every test class of the JVM (it takes seconds to build the first time). */
final class SharedEngine {
    private static RecognitionEngine engine;

    private SharedEngine() {
    }

    static Path root() {
        return Path.of(System.getProperty("emend.repo.root", "..")).toAbsolutePath().normalize();
    }

    static synchronized RecognitionEngine get() {
        if (engine == null) {
            // the repository's embedding cache, as the recognition service's tests use it: the pool is
            // embedded once per checkout, not in every module that builds an engine
            engine = RecognitionEngine.open(root().resolve("models/emend-facts"), root().resolve("benchmarks/emend-facts"),
                    dev.emend.recognition.retrieval.Embedder.Pooling.LAST,
                    new dev.emend.recognition.retrieval.EmbeddingCache(root().resolve(".cache/embeddings")));
            Runtime.getRuntime().addShutdownHook(new Thread(engine::close));
        }
        return engine;
    }
}
