package dev.emend.knowedit.metrics;

import java.util.List;
import java.util.Objects;

/**
 * The teacher-forced score of {@code promptUsed + " " + target}; mirrors {@code emend.v1.ScoreResult}
 * (the fields the metrics need) plus the {@code ModelVersion} of the answering ScoreResponse.
 *
 * @param prompt       the prompt as requested
 * @param target       the target as requested
 * @param promptUsed   the prompt actually scored (recognition methods prepend context)
 * @param promptTokens number of tokens of promptUsed
 * @param tokens       one entry per target token, in order (never empty)
 * @param version      the model state that produced the score
 */
public record ScoreResult(String prompt, String target, String promptUsed, int promptTokens,
                          List<TokenScore> tokens, ModelVersion version) {
    public ScoreResult {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(target, "target");
        promptUsed = promptUsed == null ? prompt : promptUsed;
        tokens = List.copyOf(tokens);
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("score of '" + prompt + "' / '" + target
                    + "' has no target tokens; every target tokenizes to at least one token");
        }
        Objects.requireNonNull(version, "version");
    }

    /** Fraction of target tokens whose argmax equals the target token (EasyEdit's per-case accuracy). */
    public double tokenAccuracy() {
        return KnowEditMetrics.tokenAccuracy(this);
    }

    /** Sum of the target tokens' log-probabilities. */
    public double sumLogProb() {
        return tokens.stream().mapToDouble(TokenScore::logProb).sum();
    }

    public List<Integer> argmaxIds() {
        return tokens.stream().map(TokenScore::argmaxId).toList();
    }

    public List<Integer> targetIds() {
        return tokens.stream().map(TokenScore::targetId).toList();
    }
}
