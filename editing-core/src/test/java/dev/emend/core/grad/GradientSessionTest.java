package dev.emend.core.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Only one gradient computation at a time: a second opener waits until the first closes. */
class GradientSessionTest {

    @Test
    void secondThreadWaitsUntilTheFirstSessionCloses() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch opened = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong closedAt = new AtomicLong();
        try {
            Future<?> first = pool.submit(() -> {
                try (GradientSession s = GradientSession.open()) {
                    opened.countDown();
                    release.await();
                    closedAt.set(System.nanoTime());
                }
                return null;
            });
            assertTrue(opened.await(30, TimeUnit.SECONDS));
            assertTrue(GradientSession.busy());

            // While the first is open, a bounded attempt from another thread gives up.
            Future<Boolean> impatient = pool.submit(() -> {
                GradientSession s = GradientSession.tryOpen(200, TimeUnit.MILLISECONDS);
                if (s != null) {
                    s.close();
                }
                return s != null;
            });
            assertFalse(impatient.get(30, TimeUnit.SECONDS), "tryOpen must time out while another session is open");

            // A patient attempt waits and gets the session only after the first one closed.
            CountDownLatch waiting = new CountDownLatch(1);
            Future<Long> patient = pool.submit(() -> {
                waiting.countDown();
                try (GradientSession s = GradientSession.tryOpen(30, TimeUnit.SECONDS)) {
                    assertNotNull(s, "tryOpen must succeed once the first session closes");
                    return System.nanoTime();
                }
            });
            assertTrue(waiting.await(30, TimeUnit.SECONDS));
            Thread.sleep(200);
            assertFalse(patient.isDone(), "the second session must wait while the first is open");
            release.countDown();
            first.get(30, TimeUnit.SECONDS);
            long acquiredAt = patient.get(30, TimeUnit.SECONDS);
            assertTrue(acquiredAt >= closedAt.get(), "second session opened before the first closed");
            assertFalse(GradientSession.busy());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void sessionComputesGradientsAndCanBeReopened() throws Exception {
        for (int round = 0; round < 2; round++) {
            try (NDManager m = NDManager.newBaseManager(); GradientSession s = GradientSession.open()) {
                NDArray x = m.create(new float[] {1f, 2f, 3f});
                x.setRequiresGradient(true);
                NDArray loss = x.mul(x).sum();
                s.backward(loss);
                float[] g = x.getGradient().toFloatArray();
                assertEquals(2f, g[0], 1e-6);
                assertEquals(6f, g[2], 1e-6);
            }
        }
        GradientSession s = GradientSession.tryOpen(1, TimeUnit.SECONDS);
        assertNotNull(s);
        s.close();
        s.close(); // idempotent: must not unlock twice
        assertFalse(GradientSession.busy());
        GradientSession again = GradientSession.tryOpen(1, TimeUnit.SECONDS);
        assertNotNull(again);
        again.close();
    }
}
