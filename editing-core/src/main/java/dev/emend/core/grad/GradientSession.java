package dev.emend.core.grad;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
        GradientSession s;
        try {
            s = new GradientSession();
        } catch (RuntimeException e) {
            LOCK.unlock();
            throw e;
        }
        try {
            s.zeroGradients();
            return s;
        } catch (RuntimeException e) {
            s.close(); // never leave the process-global collector open: every later edit would fail
            throw e;
        }
    }

    /**
     * True while the calling thread holds a session: its forward passes are an editor's (or the
     * trainer's) optimisation, which computes in float32 (see DecoderModel#computeTypeFor).
     */
    public static boolean heldByCurrentThread() {
        return LOCK.isHeldByCurrentThread();
    }

    private static final ThreadLocal<Boolean> UNTRACKED = ThreadLocal.withInitial(() -> false);

    /**
     * Runs {@code work} on this thread as part of a gradient computation that records nothing for
     * it: the caller promises that no array {@code work} computes from requires a gradient
     * (detached inputs, weights that are not trained), so autograd keeps nothing of it and
     * {@link #recordingOnCurrentThread()} is false inside (the model then converts half-precision
     * weights into its reused buffer). Breaking the promise is caught by PyTorch at the backward
     * ("modified by an inplace operation"), not silently. DJL 0.36 has no engine-independent
     * no-grad mode, and {@code NDArray.hasGradient()} is false for every array autograd computes.
     */
    public static <T> T untracked(java.util.function.Supplier<T> work) {
        boolean previous = UNTRACKED.get();
        UNTRACKED.set(true);
        try {
            return work.get();
        } finally {
            UNTRACKED.set(previous);
        }
    }

    /** Whether autograd may record what this thread computes: it holds a session and is not inside {@link #untracked}. */
    public static boolean recordingOnCurrentThread() {
        return heldByCurrentThread() && !UNTRACKED.get();
    }

    /** True while some thread holds a session (for health and queue reporting). */
    public static boolean busy() {
        return LOCK.isLocked();
    }

    public void backward(NDArray loss) {
        collector.backward(loss);
    }

    /**
     * Zeroes every gradient in the process. Deviation from DJL's {@code zeroGradients()}: that walks
     * all managed arrays and fails on one that another thread (a concurrent inference request)
     * releases during the walk, which left the collector open under load; here such an array is
     * skipped — it is being freed, so its gradient no longer matters.
     */
    public void zeroGradients() {
        NDManager probe = NDManager.newBaseManager();
        try {
            NDManager system = probe.getParentManager();
            if (!(system instanceof BaseNDManager base)) {
                collector.zeroGradients();
                return;
            }
            for (NDArray array : base.getManagedArrays()) {
                try {
                    if (array.hasGradient()) {
                        NDArray g = array.getGradient();
                        g.subi(g);
                    }
                } catch (IllegalStateException released) {
                    // released by another thread while we walked: nothing to zero
                }
            }
        } finally {
            probe.close();
        }
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
