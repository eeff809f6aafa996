package dev.emend.core.edit;

import dev.emend.core.runtime.Generation;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.ScoreItem;
import dev.emend.core.runtime.ScoreResult;

import java.util.List;

/**
 * The in-memory state of one space: always {@code replay(base, live ledger units)}. The shared
 * service guarantees that {@link #apply} is never called while a read ({@link #score},
 * {@link #scoreBatch}, {@link #generate}) is in flight on the same state, and that
 * {@link PhaseEngine#compute} may read the state concurrently with other reads. Rolling back an
 * edit builds a fresh state from the remaining units, so states never need an "unapply".
 */
public interface SpaceState extends AutoCloseable {
    /** Applies one committed unit. Must be deterministic: replicas replaying the ledger agree. */
    void apply(LedgerUnit unit);

    /** Teacher-forced score of {@code prompt + " " + target} on this state. */
    Answer<ScoreResult> score(String prompt, String target);

    /** Scores many items on this same state. */
    List<Answer<ScoreResult>> scoreBatch(List<ScoreItem> items);

    /** Generates a continuation of the prompt on this state. */
    Answer<Generation> generate(String prompt, GenerationOptions options);

    /** Bytes of native/heap memory this state holds beyond the shared base model (for listings). */
    default long footprintBytes() {
        return 0;
    }

    @Override
    void close();
}
