package dev.emend.cli.stack;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor's restart logic with real child processes (sh), a short backoff and no timing assertions. */
class SupervisionTest {
    private static final Supervision.Policy FAST = new Supervision.Policy(Duration.ofMillis(20), Duration.ofMillis(80),
            Duration.ofHours(1), 4);

    private static Supervision.Launcher sh(String script) {
        return () -> new ProcessBuilder("sh", "-c", script).start();
    }

    /** Ticks until {@code done} holds for the child's state (bounded; fails with the last state otherwise). */
    private static Map<String, Object> tickUntil(Supervision s, String name, Predicate<Map<String, Object>> done) throws InterruptedException {
        Map<String, Object> state = null;
        for (int i = 0; i < 2400; i++) { // at most about two minutes on a loaded machine
            s.tick();
            state = s.describe().get(name);
            if (done.test(state)) {
                return state;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("never reached the expected state; last: " + state);
    }

    @Test
    void aCrashingChildIsRestartedWithBackoffThenGivenUpAndRestartedOnRequest() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Supervision s = new Supervision(FAST, log::add);
        s.add("crasher", sh("exit 3"));
        Map<String, Object> gaveUp = tickUntil(s, "crasher", st -> "gave up".equals(st.get("state")));
        // crashes 1..3 were each followed by a restart after a backoff; the 4th crash in a row gives up.
        assertEquals(3, gaveUp.get("restarts"));
        assertEquals(4, gaveUp.get("crashes_in_a_row"));
        assertEquals(3, gaveUp.get("last_exit"));
        assertEquals("exited on its own", gaveUp.get("last_exit_reason"));
        assertFalse(gaveUp.containsKey("pid"));
        assertTrue(log.stream().anyMatch(l -> l.contains("crasher exited with 3; restarting in 20 ms (crash 1 in a row)")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("restarting in 80 ms (crash 3 in a row)")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("not restarting it")), log.toString());
        // Left alone, it stays down.
        for (int i = 0; i < 5; i++) {
            assertFalse(s.tick());
        }
        s.restart("crasher");
        Map<String, Object> again = s.describe().get("crasher");
        assertEquals(4, again.get("restarts"));
        assertEquals(0, again.get("crashes_in_a_row"));
        s.stopAll();
    }

    @Test
    void aRequestedRestartStopsTheRunningChildAndStartsANewOne() throws Exception {
        Supervision s = new Supervision(FAST, l -> { });
        s.add("sleeper", sh("exec sleep 600"));
        Map<String, Object> first = s.describe().get("sleeper");
        assertEquals("running", first.get("state"));
        long pid = (Long) first.get("pid");
        s.restart("sleeper");
        Map<String, Object> second = s.describe().get("sleeper");
        assertEquals("running", second.get("state"));
        assertNotEquals(pid, second.get("pid"));
        assertEquals(1, second.get("restarts"));
        assertEquals("restart requested", second.get("last_exit_reason"));
        assertEquals(143, second.get("last_exit")); // SIGTERM
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertFalse(s.tick()); // a requested restart is no crash: nothing more to do

        long newPid = (Long) second.get("pid");
        ProcessHandle.of(newPid).orElseThrow().destroyForcibly(); // kill -9 from outside
        Map<String, Object> back = tickUntil(s, "sleeper", st -> st.containsKey("pid") && !st.get("pid").equals(newPid));
        assertEquals(2, back.get("restarts"));
        assertEquals(137, back.get("last_exit"));
        assertEquals("exited on its own", back.get("last_exit_reason"));

        long last = (Long) back.get("pid");
        s.stopAll();
        assertFalse(ProcessHandle.of(last).map(ProcessHandle::isAlive).orElse(false));
        assertEquals("stopped", s.describe().get("sleeper").get("state"));
        assertFalse(s.tick()); // nothing restarts after stopAll
    }

    @Test
    void unknownServicesAreNamed() {
        Supervision s = new Supervision(FAST, l -> { });
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> s.restart("nope"));
        assertTrue(e.getMessage().contains("no supervised service 'nope'"), e.getMessage());
        IllegalArgumentException e2 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> StackLayout.service("masterie"));
        assertTrue(e2.getMessage().contains("[recognition, association, mastery, evaluation, gateway]"), e2.getMessage());
        assertEquals("mastery-service", StackLayout.service("mastery").module());
        assertEquals("gateway", StackLayout.service("gateway").module());
    }

    @Test
    void backoffDoublesUpToItsCap() {
        Supervision.Policy p = Supervision.Policy.DEFAULT;
        assertEquals(Duration.ofSeconds(1), p.backoff(1));
        assertEquals(Duration.ofSeconds(2), p.backoff(2));
        assertEquals(Duration.ofSeconds(16), p.backoff(5));
        assertEquals(Duration.ofSeconds(30), p.backoff(6));
        assertEquals(Duration.ofSeconds(30), p.backoff(60));
    }
}
