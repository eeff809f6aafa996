package dev.emend.recognition.memory;

import dev.emend.core.prompt.ContextFormat;
import java.util.Arrays;
import java.util.Objects;

/**
 * One edit as the recognition memory keeps it: the ledger id, the request's prompt, subject and new
 * target, the statement put in context ({@code prompt + " " + target}, editing-core's
 * {@link ContextFormat#statement}), the supersession key, the ledger order (higher = newer) and the
 * unit-length retrieval vector of the prompt (see {@code retrieval.Embedder}).
 */
public record StoredFact(String editId, String prompt, String subject, String target, EditKey key, long sequence,
                         float[] vector) {
    public StoredFact {
        Objects.requireNonNull(editId, "editId");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(target, "target");
        subject = subject == null ? "" : subject;
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(vector, "vector");
    }

    /** {@code prompt + " " + target}: what the model reads after {@code "New fact: "}. */
    public String statement() {
        return ContextFormat.statement(prompt, target);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredFact f && f.editId.equals(editId) && f.prompt.equals(prompt)
                && f.subject.equals(subject) && f.target.equals(target) && f.sequence == sequence
                && Arrays.equals(f.vector, vector);
    }

    @Override
    public int hashCode() {
        return Objects.hash(editId, prompt, target, sequence);
    }

    @Override
    public String toString() {
        return "StoredFact[" + editId + ": " + statement() + "]";
    }
}
