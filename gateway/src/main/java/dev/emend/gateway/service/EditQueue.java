package dev.emend.gateway.service;

import dev.emend.gateway.config.GatewayConfig;
import dev.emend.gateway.rest.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A bounded queue in front of the phase services' own edit queues: at most {@code concurrent}
 * edit or rollback calls in flight and {@code waiting} more waiting; a call beyond that gets 429
 * with Retry-After at once instead of piling up worker threads.
 */
@ApplicationScoped
public class EditQueue {
    @Inject
    GatewayConfig config;

    private volatile Semaphore running;
    private final AtomicInteger admitted = new AtomicInteger();

    private Semaphore running() {
        if (running == null) {
            synchronized (this) {
                if (running == null) {
                    running = new Semaphore(config.editQueue().concurrent(), true);
                }
            }
        }
        return running;
    }

    public <T> T run(Supplier<T> edit) {
        int capacity = config.editQueue().concurrent() + config.editQueue().waiting();
        if (admitted.incrementAndGet() > capacity) {
            admitted.decrementAndGet();
            throw ProblemException.tooMany("The edit queue is full (" + capacity + " edits running or waiting). "
                    + "Retry after the time in Retry-After.", 5);
        }
        try {
            running().acquire();
            try {
                return edit.get();
            } finally {
                running().release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ProblemException.tooMany("The gateway is shutting down; retry.", 5);
        } finally {
            admitted.decrementAndGet();
        }
    }

    /** Edits running or waiting now. */
    public int depth() {
        return admitted.get();
    }
}
