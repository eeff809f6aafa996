package dev.emend.cli.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keeps a set of child processes running: a child that exits on its own is started again after a
 * backoff that doubles with each crash in a row ({@code base}, 2·base, 4·base, ... up to
 * {@code max}); a child that stayed up for {@code stableAfter} starts the count again; after
 * {@code giveUpAfter} crashes in a row it is left down until someone asks for a restart. A
 * requested restart stops the child (SIGTERM, then SIGKILL after 20 s) and starts it at once.
 *
 * <p>One thread drives it: {@link #tick()} looks at every child and does what is due; the owner
 * calls it a few times a second. {@link #stopAll()} may come from another thread (a shutdown hook);
 * both hold the same lock, and no child is started once stopping began.
 */
public final class Supervision {
    /** How a child is started: its name (a module) and a fresh process each time. */
    public interface Launcher {
        Process launch() throws IOException;
    }

    /** Backoff policy. */
    public record Policy(Duration base, Duration max, Duration stableAfter, int giveUpAfter) {
        public static final Policy DEFAULT = new Policy(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60), 8);

        /** Delay before restart number {@code crashesInARow} (1 = first crash). */
        Duration backoff(int crashesInARow) {
            long ms = base.toMillis() << Math.min(20, Math.max(0, crashesInARow - 1));
            return Duration.ofMillis(Math.min(ms, max.toMillis()));
        }
    }

    /** One supervised child and what happened to it. */
    public static final class Child {
        final String name;
        final Launcher launcher;
        Process process;
        String state = "stopped";
        int restarts;
        int crashesInARow;
        Integer lastExit;
        Instant lastExitAt;
        String lastExitReason;
        Instant startedAt;
        Instant nextStartAt;

        Child(String name, Launcher launcher) {
            this.name = name;
            this.launcher = launcher;
        }

        /** The child's state as stack.json holds it. */
        public Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("state", state);
            if (process != null && process.isAlive()) {
                m.put("pid", process.pid());
            }
            m.put("restarts", restarts);
            m.put("crashes_in_a_row", crashesInARow);
            if (startedAt != null) {
                m.put("started_at", startedAt.toString());
            }
            if (lastExit != null) {
                m.put("last_exit", lastExit);
                m.put("last_exit_at", lastExitAt.toString());
                m.put("last_exit_reason", lastExitReason);
            }
            if (nextStartAt != null) {
                m.put("next_start_at", nextStartAt.toString());
            }
            return m;
        }
    }

    private final Policy policy;
    private final Consumer<String> log;
    private final Map<String, Child> children = new LinkedHashMap<>();
    private boolean stopping;

    public Supervision(Policy policy, Consumer<String> log) {
        this.policy = policy;
        this.log = log;
    }

    /** Adds a child and starts it. */
    public synchronized void add(String name, Launcher launcher) {
        Child c = new Child(name, launcher);
        children.put(name, c);
        start(c, Instant.now());
    }

    /** Whether {@link #stopAll()} began; callers that write state hold this object's lock while they check and write. */
    public synchronized boolean stopping() {
        return stopping;
    }

    public synchronized Map<String, Map<String, Object>> describe() {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        children.forEach((k, c) -> m.put(k, c.describe()));
        return m;
    }

    /**
     * Looks at every child once: records exits, starts those whose backoff is over. Returns true
     * when anything changed (so the owner rewrites its state file).
     */
    public synchronized boolean tick() {
        if (stopping) {
            return false;
        }
        Instant now = Instant.now();
        boolean changed = false;
        for (Child c : children.values()) {
            if (c.process != null && !c.process.isAlive() && "running".equals(c.state)) {
                boolean stable = Duration.between(c.startedAt, now).compareTo(policy.stableAfter()) >= 0;
                c.crashesInARow = stable ? 1 : c.crashesInARow + 1;
                exited(c, now, "exited on its own");
                if (c.crashesInARow >= policy.giveUpAfter()) {
                    c.state = "gave up";
                    c.nextStartAt = null;
                    log.accept(c.name + " exited with " + c.lastExit + "; " + c.crashesInARow
                            + " crashes in a row, not restarting it (./emend restart " + c.name + " tries again)");
                } else {
                    Duration wait = policy.backoff(c.crashesInARow);
                    c.state = "backoff";
                    c.nextStartAt = now.plus(wait);
                    log.accept(c.name + " exited with " + c.lastExit + "; restarting in " + wait.toMillis() + " ms (crash "
                            + c.crashesInARow + " in a row)");
                }
                changed = true;
            } else if ("backoff".equals(c.state) && !now.isBefore(c.nextStartAt)) {
                c.restarts++;
                start(c, now);
                changed = true;
            }
        }
        return changed;
    }

    /** Stops {@code name} (if running) and starts it at once; clears its crash count. */
    public synchronized void restart(String name) {
        Child c = children.get(name);
        if (c == null) {
            throw new IllegalArgumentException("no supervised service '" + name + "' (known: " + children.keySet() + ")");
        }
        if (stopping) {
            return;
        }
        if (c.process != null && c.process.isAlive()) {
            c.state = "restarting";
            stop(c.process);
            exited(c, Instant.now(), "restart requested");
        }
        c.crashesInARow = 0;
        c.restarts++;
        log.accept("restarting " + name + " on request");
        start(c, Instant.now());
    }

    /** Stops every child, last added first; nothing is started afterwards. */
    public synchronized void stopAll() {
        stopping = true;
        List<Child> all = new ArrayList<>(children.values());
        for (int i = all.size() - 1; i >= 0; i--) {
            Child c = all.get(i);
            if (c.process != null) {
                c.process.destroy();
            }
        }
        for (Child c : all) {
            if (c.process != null) {
                stop(c.process);
            }
            c.state = "stopped";
        }
    }

    private void exited(Child c, Instant now, String reason) {
        c.lastExit = c.process.exitValue();
        c.lastExitAt = now;
        c.lastExitReason = reason;
    }

    private void start(Child c, Instant now) {
        c.nextStartAt = null;
        c.startedAt = now;
        try {
            c.process = c.launcher.launch();
            c.state = "running";
        } catch (IOException | UncheckedIOException e) {
            // Cannot even start (jar gone, say): counts as a crash, so the backoff applies.
            c.process = null;
            c.crashesInARow++;
            c.lastExit = -1;
            c.lastExitAt = now;
            c.lastExitReason = "could not start: " + e.getMessage();
            c.state = c.crashesInARow >= policy.giveUpAfter() ? "gave up" : "backoff";
            c.nextStartAt = "backoff".equals(c.state) ? now.plus(policy.backoff(c.crashesInARow)) : null;
            log.accept(c.name + " could not start: " + e.getMessage());
        }
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }
}
