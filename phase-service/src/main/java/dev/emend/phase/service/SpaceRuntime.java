package dev.emend.phase.service;

import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.SpaceState;
import dev.emend.phase.repository.LedgerRepository;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One space in memory: its state ({@code replay(base, live units)}), the ledger head that state
 * reflects, and the live units in sequence order (what a rollback rebuilds from).
 *
 * <p>Consistency: reads hold the read lock for their whole computation and capture the sequence
 * with it; the edit queue's single thread is the only writer and swaps state/sequence under the
 * write lock (fair, so a stream of reads cannot starve it). A read therefore sees the old or the
 * new version, never a mix. Computing an edit only reads the state, and since the queue thread is
 * the only writer, it needs no lock at all.
 */
public final class SpaceRuntime {
    /** A live unit and the first sequence it was committed at. */
    public record AppliedUnit(String unitId, long firstSequence, LedgerUnit unit) {
    }

    /** A value read from one consistent version of the space. */
    public record Versioned<T>(T value, long sequence) {
    }

    private final String name;
    private final boolean readOnly;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);
    private final List<AppliedUnit> units = new ArrayList<>();
    private volatile String description;
    private volatile OffsetDateTime createdAt;
    private volatile OffsetDateTime updatedAt;
    private SpaceState state;
    private volatile long sequence;
    private volatile boolean deleted;

    public SpaceRuntime(String name, String description, boolean readOnly, SpaceState state, long sequence,
                        OffsetDateTime createdAt, OffsetDateTime updatedAt) {
        this.name = name;
        this.description = description;
        this.readOnly = readOnly;
        this.state = state;
        this.sequence = sequence;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public long sequence() {
        return sequence;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    public OffsetDateTime updatedAt() {
        return updatedAt;
    }

    public boolean deleted() {
        return deleted;
    }

    /** Runs a read on one consistent version. */
    public <T> Versioned<T> read(Function<SpaceState, T> reader) {
        lock.readLock().lock();
        try {
            if (deleted) {
                throw new SpaceGoneException(name);
            }
            return new Versioned<>(reader.apply(state), sequence);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The state for computing an edit (queue thread only: nothing else changes it). */
    public SpaceState stateForCompute() {
        return state;
    }

    /** Live units in sequence order (queue thread only). */
    public List<AppliedUnit> liveUnits() {
        return List.copyOf(units);
    }

    /**
     * Applies a computed unit and makes it durable as one step (queue thread only). Under the write
     * lock, so no reader sees the in-between: the state takes the unit, then {@code commit} writes it
     * to the ledger, then the head moves. If the apply or the commit fails, the state is rebuilt
     * from the live units before the failure is rethrown, so a unit is never live without its
     * record and never half-applied; the ledger is untouched when the apply fails, because the
     * commit has not run yet.
     */
    public LedgerRepository.Commit applyDurably(String unitId, LedgerUnit unit, Supplier<LedgerRepository.Commit> commit,
                                                Supplier<SpaceState> fresh) {
        lock.writeLock().lock();
        try {
            LedgerRepository.Commit done;
            try {
                state.apply(unit);
                done = commit.get();
            } catch (RuntimeException e) {
                restore(fresh, e);
                throw e;
            }
            units.add(new AppliedUnit(unitId, done.firstSequence(), unit));
            sequence = done.lastSequence();
            updatedAt = done.at();
            return done;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Rebuilds the state from the live units after a failed apply or commit (write lock held). */
    private void restore(Supplier<SpaceState> fresh, RuntimeException cause) {
        SpaceState rebuilt = fresh.get();
        try {
            for (AppliedUnit u : units) {
                rebuilt.apply(u.unit());
            }
        } catch (RuntimeException e) {
            rebuilt.close();
            cause.addSuppressed(e);
            throw new IllegalStateException("space '" + name + "' could not be restored after a failed edit ("
                    + cause.getMessage() + "): restart the service to replay it from the ledger", cause);
        }
        SpaceState old = state;
        state = rebuilt;
        old.close();
    }

    /** Records a unit already applied to the state during replay (before the space is published). */
    void applyCommittedWithoutState(AppliedUnit unit) {
        units.add(unit);
    }

    /** Replaces the state by one rebuilt from {@code remaining} units; closes the old one. */
    public void swap(SpaceState rebuilt, List<AppliedUnit> remaining, long newSequence, OffsetDateTime at) {
        SpaceState old;
        lock.writeLock().lock();
        try {
            old = state;
            state = rebuilt;
            units.clear();
            units.addAll(remaining);
            sequence = newSequence;
            updatedAt = at;
        } finally {
            lock.writeLock().unlock();
        }
        old.close();
    }

    /** Marks the space deleted and frees its state once in-flight reads are done. */
    public void delete() {
        lock.writeLock().lock();
        try {
            deleted = true;
            state.close();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Thrown by reads on a space deleted meanwhile. */
    public static final class SpaceGoneException extends RuntimeException {
        public SpaceGoneException(String name) {
            super("space '" + name + "' was deleted");
        }
    }
}
