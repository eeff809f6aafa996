package dev.emend.recognition.engine;

import java.nio.file.Path;

/** One engine over the real default model for every test class of the JVM (it takes seconds to build). */
final class SharedEngine {
    private static RecognitionEngine engine;

    private SharedEngine() {
    }

    static Path root() {
        return Path.of(System.getProperty("emend.repo.root", "..")).toAbsolutePath().normalize();
    }

    static synchronized RecognitionEngine get() {
        if (engine == null) {
            engine = RecognitionEngine.open(root().resolve("models/emend-facts"), root().resolve("benchmarks/emend-facts"));
            Runtime.getRuntime().addShutdownHook(new Thread(engine::close));
        }
        return engine;
    }
}
