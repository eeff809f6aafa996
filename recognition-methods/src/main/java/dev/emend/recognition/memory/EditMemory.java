package dev.emend.recognition.memory;

import dev.emend.recognition.retrieval.Fusion;
import dev.emend.recognition.retrieval.Hit;
import dev.emend.recognition.retrieval.HybridIndex;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The live edits of one space: their facts by ledger id, which id is live for each
 * {@link EditKey} (supersession), and the hybrid Lucene index that retrieval searches. Each fact is
 * indexed by its statement ({@code prompt + " " + target}) for BM25 and by its prompt's vector for
 * k-NN. Not thread-safe for writes; reads may run concurrently (see {@link HybridIndex}).
 */
public final class EditMemory implements AutoCloseable {
    private final HybridIndex index;
    private final Map<String, StoredFact> facts = new LinkedHashMap<>();
    private final Map<EditKey, String> liveByKey = new HashMap<>();

    public EditMemory(int dimension, List<String> background) {
        index = new HybridIndex(dimension);
        index.addBackground(background);
    }

    /** An empty memory whose index starts as a copy of {@code template} (its background documents). */
    public EditMemory(HybridIndex template) {
        index = new HybridIndex(template.dimension(), template);
    }

    /**
     * Stores a fact. Any live fact with the same key is removed first (the newer one supersedes
     * it); returns the ids removed.
     */
    public List<String> put(StoredFact fact) {
        List<String> removed = new ArrayList<>();
        String previous = liveByKey.get(fact.key());
        if (previous != null && !previous.equals(fact.editId())) {
            remove(previous);
            removed.add(previous);
        }
        facts.put(fact.editId(), fact);
        liveByKey.put(fact.key(), fact.editId());
        index.add(fact.editId(), fact.statement(), fact.vector());
        return removed;
    }

    /** Removes a fact by id (no-op when absent). */
    public boolean remove(String editId) {
        StoredFact f = facts.remove(editId);
        if (f == null) {
            return false;
        }
        liveByKey.remove(f.key(), editId);
        index.delete(editId);
        return true;
    }

    /** The live fact with this subject and relation, if any. */
    public Optional<StoredFact> liveFor(EditKey key) {
        return Optional.ofNullable(liveByKey.get(key)).map(facts::get);
    }

    public Optional<StoredFact> get(String editId) {
        return Optional.ofNullable(facts.get(editId));
    }

    public Collection<StoredFact> facts() {
        return Collections.unmodifiableCollection(facts.values());
    }

    public int size() {
        return facts.size();
    }

    public List<Hit> search(String text, float[] vector, Fusion fusion) {
        return index.search(text, vector, fusion);
    }

    @Override
    public void close() {
        index.close();
    }
}
