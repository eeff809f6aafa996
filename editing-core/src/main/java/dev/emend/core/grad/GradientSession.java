package dev.emend.core.grad;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive use of PyTorch's gradient collector, which DJL keeps process-global: only one
 * gradient computation may run in a JVM at a time, so every editor and the trainer open one of
 * these (fair lock, waiting in turn). Inference on other threads is unaffected. Gradients are
 * zeroed on open and on request; weights must be updated outside {@link #backward} (after the
 * loss graph is done) and the session closed before acknowledging an edit.
 */
public final class GradientSession implements AutoCloseable {
    private static final ReentrantLock LOCK = new ReentrantLock(true);

    private final GradientCollector collector;
    private boolean closed;

    private GradientSession() {
        this.collector = Engine.getInstance().newGradientCollector();
    }

    /** Waits for the collector and opens it. */
    public static GradientSession open() {
        LOCK.lock();
        return startLocked();
    }

    /** Like {@link #open()} but gives up after a timeout, returning null. */
    public static GradientSession tryOpen(long timeout, TimeUnit unit) throws InterruptedException {
        if (!LOCK.tryLock(timeout, unit)) {
            return null;
        }
        return startLocked();
    }

    private static GradientSession startLocked() {
        try {
            GradientSession s = new GradientSession();
            s.collector.zeroGradients();
            return s;
        } catch (RuntimeException e) {
            LOCK.unlock();
            throw e;
        }
    }

    /** True while some thread holds a session (for health and queue reporting). */
    public static boolean busy() {
        return LOCK.isLocked();
    }

    public void backward(NDArray loss) {
        collector.backward(loss);
    }

    public void zeroGradients() {
        collector.zeroGradients();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                collector.close();
            } finally {
                LOCK.unlock();
            }
        }
    }
}
