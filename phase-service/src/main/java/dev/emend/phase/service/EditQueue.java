package dev.emend.phase.service;

import dev.emend.core.edit.EditException;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import dev.emend.phase.config.PhaseConfig;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every state change (apply, rollback) of every space runs on this one thread, in arrival order:
 * PyTorch's gradient collector is process-global, and a single writer makes each space's
 * read/write protocol simple (see {@link SpaceRuntime}). A bounded number of calls may wait;
 * beyond that callers get RESOURCE_EXHAUSTED-style UNAVAILABLE rather than an unbounded pile-up.
 */
@ApplicationScoped
public class EditQueue {
    @Inject
    MeterRegistry meters;
    @Inject
    PhaseConfig config;

    private final AtomicInteger waiting = new AtomicInteger();
    private ExecutorService thread;

    @PostConstruct
    void start() {
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "emend-edit-queue");
            t.setDaemon(true);
            return t;
        });
        meters.gauge("emend.edit.queue.length", waiting);
    }

    @PreDestroy
    void stop() {
        thread.shutdownNow();
    }

    /** Number of calls waiting or running. */
    public int length() {
        return waiting.get();
    }

    /** Like {@link #run} but never refused for a full queue (internal maintenance work). */
    public <T> T runInternal(Callable<T> task) {
        waiting.incrementAndGet();
        return await(thread.submit(() -> {
            try {
                return task.call();
            } finally {
                waiting.decrementAndGet();
            }
        }));
    }

    /** Runs the task on the queue thread and waits for it; exceptions come back unwrapped. */
    public <T> T run(Callable<T> task) {
        if (waiting.incrementAndGet() > config.maxQueued()) {
            waiting.decrementAndGet();
            throw new EditException(EditException.Reason.UNAVAILABLE, "",
                    "the edit queue is full (" + config.maxQueued() + " calls waiting); retry later");
        }
        Future<T> f;
        try {
            f = thread.submit(() -> {
                try {
                    return task.call();
                } finally {
                    waiting.decrementAndGet();
                }
            });
        } catch (RuntimeException e) {
            waiting.decrementAndGet();
            throw e;
        }
        return await(f);
    }

    /** The task's result, its exception unwrapped (also for {@link TrainingService}'s wait on a running training). */
    static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the edit queue", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        }
    }
}
