package dev.emend.core.model;

/** A prompt (plus context or target) longer than the model's context window. */
public class ContextLengthException extends IllegalArgumentException {
    private final int tokens;
    private final int limit;

    public ContextLengthException(int tokens, int limit) {
        super("input is " + tokens + " tokens but the model's context holds " + limit
                + " (max_position_embeddings): shorten the prompt or the context");
        this.tokens = tokens;
        this.limit = limit;
    }

    public int tokens() {
        return tokens;
    }

    public int limit() {
        return limit;
    }
}
