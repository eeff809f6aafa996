package dev.emend.evaluation.grpc;

import dev.emend.testing.EmbeddedPostgresResource;
import dev.emend.testing.ServiceProcess;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/**
 * The evaluation app's surroundings for a test: its own fresh PostgreSQL database, a real
 * mastery-service process to talk to, and a recognition address where nothing listens.
 * Subclasses may prepare the database before the app starts ({@link #beforeStart}).
 */
public class EvaluationTestResource implements QuarkusTestResourceLifecycleManager {
    protected String jdbcUrl;

    @Override
    public Map<String, String> start() {
        jdbcUrl = EmbeddedPostgresResource.freshDatabase();
        int masteryPort = MasteryProcess.port();
        beforeStart();
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.datasource.jdbc.url", jdbcUrl);
        config.put("quarkus.datasource.username", "postgres");
        config.put("quarkus.datasource.password", "postgres");
        config.put("emend.phases.mastery.host", "localhost");
        config.put("emend.phases.mastery.port", Integer.toString(masteryPort));
        config.put("emend.phases.recognition.host", "localhost");
        config.put("emend.phases.recognition.port", Integer.toString(unusedPort()));
        config.put("emend.evaluation.reports-dir", "target/test-reports");
        config.put("emend.evaluation.data-dir", ServiceProcess.repoRoot().toString());
        // The shipped benchmarks, plus a folder the tests write their own data sets into.
        config.put("emend.evaluation.dataset-dirs", "benchmarks," + testDatasets());
        return config;
    }

    /** A dataset directory for the tests' own files (created on first use). */
    static java.nio.file.Path testDatasets() {
        java.nio.file.Path dir = ServiceProcess.repoRoot().resolve("evaluation-service/target/test-datasets");
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Hook: runs after the database exists and before the app starts. */
    protected void beforeStart() {
    }

    private static int unusedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // The mastery process and the PostgreSQL server live for the JVM.
    }
}
