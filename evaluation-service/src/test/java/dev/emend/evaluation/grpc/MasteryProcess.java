package dev.emend.evaluation.grpc;

import dev.emend.testing.EmbeddedPostgresResource;
import dev.emend.testing.ServiceProcess;

import java.util.Map;

/**
 * One real mastery-service process (packaged jar, own database) for all test classes of this JVM.
 * Each Quarkus app start loads this class again in a new class loader, so the port of the process
 * already started is kept in a system property (JVM-wide) rather than in a static field.
 */
final class MasteryProcess {
    private static final String PORT = "emend.test.mastery.port";

    private MasteryProcess() {
    }

    static int port() {
        synchronized (System.getProperties()) {
            String known = System.getProperty(PORT);
            if (known != null) {
                return Integer.parseInt(known);
            }
            ServiceProcess p = ServiceProcess.start("mastery-service", EmbeddedPostgresResource.freshDatabase(), Map.of());
            Runtime.getRuntime().addShutdownHook(new Thread(p::close));
            System.setProperty(PORT, Integer.toString(p.port()));
            return p.port();
        }
    }
}
