package dev.emend.gateway;

import dev.emend.testing.EmbeddedPostgresResource;
import dev.emend.testing.ServiceProcess;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway in front of all three packaged phase services (separate processes, one embedded
 * PostgreSQL, a schema each; started together): for tests that edit through every phase.
 */
public class AllPhasesStack implements QuarkusTestResourceLifecycleManager {
    private static final List<String> PHASES = List.of("recognition", "association", "mastery");
    private final Map<String, ServiceProcess> running = new HashMap<>();

    @Override
    public Map<String, String> start() {
        String jdbc = EmbeddedPostgresResource.freshDatabase();
        Map<String, String> cfg = new HashMap<>();
        cfg.put("quarkus.datasource.jdbc.url", jdbc);
        cfg.put("quarkus.datasource.username", "postgres");
        cfg.put("quarkus.datasource.password", "postgres");
        List<ServiceProcess> started = ServiceProcess.startAll(PHASES.stream().map(ph -> ph + "-service").toList(), jdbc, Map.of());
        for (int i = 0; i < PHASES.size(); i++) {
            String phase = PHASES.get(i);
            ServiceProcess p = started.get(i);
            running.put(phase, p);
            cfg.put("emend.phases." + phase + ".host", "localhost");
            cfg.put("emend.phases." + phase + ".port", Integer.toString(p.port()));
        }
        return cfg;
    }

    @Override
    public void stop() {
        running.values().forEach(ServiceProcess::close);
    }
}
