package dev.emend.gateway;

import dev.emend.testing.EmbeddedPostgresResource;
import dev.emend.testing.ServiceProcess;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/**
 * The real stack behind the gateway under test: embedded PostgreSQL (one database shared by the
 * gateway and mastery-service, each in its own schema) and the packaged mastery-service as a
 * separate process. Recognition, association and evaluation are pointed at ports where nothing
 * listens, i.e. they are down.
 */
public class GatewayStack implements QuarkusTestResourceLifecycleManager {
    private static ServiceProcess mastery;

    public static ServiceProcess mastery() {
        return mastery;
    }

    @Override
    public Map<String, String> start() {
        String jdbc = EmbeddedPostgresResource.freshDatabase();
        mastery = ServiceProcess.start("mastery-service", jdbc, Map.of());
        Map<String, String> cfg = new HashMap<>();
        cfg.put("quarkus.datasource.jdbc.url", jdbc);
        cfg.put("quarkus.datasource.username", "postgres");
        cfg.put("quarkus.datasource.password", "postgres");
        cfg.put("emend.phases.mastery.host", "localhost");
        cfg.put("emend.phases.mastery.port", Integer.toString(mastery.port()));
        cfg.put("emend.phases.recognition.port", Integer.toString(closedPort()));
        cfg.put("emend.phases.association.port", Integer.toString(closedPort()));
        cfg.put("emend.evaluation.port", Integer.toString(closedPort()));
        return cfg;
    }

    /** A port that was free a moment ago and that nothing listens on. */
    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (mastery != null) {
            mastery.close();
        }
    }
}
