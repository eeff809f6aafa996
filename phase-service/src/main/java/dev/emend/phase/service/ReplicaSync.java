package dev.emend.phase.service;

import io.agroal.api.AgroalDataSource;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps replicas of one phase service converged on a shared ledger. Every ledger commit sends
 * {@code NOTIFY emend_ledger_<schema>, '<space>'} inside its transaction (delivered only if it
 * commits); this listener rebuilds the named space when its stored head differs from the one in
 * memory. A periodic full check (default every 5 s) covers notifications lost while the
 * database connection was down. Rebuilds run on the edit queue, so they never race a local edit.
 */
@ApplicationScoped
public class ReplicaSync {
    @Inject
    AgroalDataSource dataSource;
    @Inject
    SpaceRegistry registry;
    @Inject
    EditQueue queue;
    @ConfigProperty(name = "emend.replica.full-check-ms", defaultValue = "5000")
    long fullCheckMs;
    @ConfigProperty(name = "quarkus.flyway.default-schema", defaultValue = "public")
    String schema;

    private volatile boolean running;
    private Thread thread;

    /** The channel name this service's commits notify on. */
    public String channel() {
        return "emend_ledger_" + schema.replaceAll("[^a-zA-Z0-9_]", "_");
    }

    void onStart(@Observes StartupEvent e) {
        running = true;
        thread = new Thread(this::loop, "emend-replica-sync");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent e) {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void loop() {
        long lastFull = System.currentTimeMillis();
        while (running) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + channel());
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] ns = pg.getNotifications(1000);
                    Set<String> spaces = new HashSet<>();
                    if (ns != null) {
                        for (PGNotification n : ns) {
                            spaces.add(n.getParameter());
                        }
                    }
                    if (System.currentTimeMillis() - lastFull > fullCheckMs) {
                        lastFull = System.currentTimeMillis();
                        spaces.addAll(registry.storedNames());
                        registry.all().forEach(s -> {
                            if (!s.readOnly()) {
                                spaces.add(s.name());
                            }
                        });
                    }
                    if (!spaces.isEmpty() && registry.ready()) {
                        sync(spaces);
                    }
                }
            } catch (SQLException | RuntimeException ex) {
                if (running) {
                    Log.warnf("replica sync: %s; retrying in 2 s", ex.getMessage());
                    sleep(2000);
                }
            }
        }
    }

    private void sync(Set<String> spaces) {
        List<String> sorted = spaces.stream().sorted().toList();
        queue.runInternal(() -> {
            for (String name : sorted) {
                try {
                    if (registry.refresh(name)) {
                        Log.infof("replica sync: space '%s' rebuilt from the ledger", name);
                    }
                } catch (RuntimeException ex) {
                    Log.warnf("replica sync: space '%s': %s", name, ex.getMessage());
                }
            }
            return null;
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }
}
