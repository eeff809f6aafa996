package dev.emend.gateway.bench;

import dev.emend.testing.EmbeddedPostgresResource;
import dev.emend.testing.ServiceProcess;

import java.util.Map;

/** What the benches run against: embedded PostgreSQL, the packaged mastery-service and the packaged gateway (admin key {@link #KEY}). */
record BenchStack(ServiceProcess mastery, ServiceProcess gateway) implements AutoCloseable {
    static final String KEY = "bench-admin-key-0123456789";

    static BenchStack start() {
        String jdbc = EmbeddedPostgresResource.freshDatabase();
        ServiceProcess mastery = ServiceProcess.start("mastery-service", jdbc, Map.of());
        try {
            return new BenchStack(mastery, ServiceProcess.start("gateway", jdbc, Map.of(
                    "EMEND_PHASES_MASTERY_PORT", Integer.toString(mastery.port()), "EMEND_GATEWAY_BOOTSTRAP_ADMIN_KEY", KEY)));
        } catch (RuntimeException e) {
            mastery.close();
            throw e;
        }
    }

    @Override
    public void close() {
        gateway.close();
        mastery.close();
    }
}
