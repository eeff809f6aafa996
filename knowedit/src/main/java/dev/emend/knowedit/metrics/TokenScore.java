package dev.emend.knowedit.metrics;

/**
 * One target token of a teacher-forced score; mirrors {@code emend.v1.TokenScore}
 * (api/src/main/proto/emend/v1/editor.proto).
 *
 * @param index         position within the target (0-based)
 * @param targetId      the target token's id
 * @param targetPiece   the target token as text (for reading; may be "")
 * @param argmaxId      the most likely token id at this position given the prompt and the preceding target tokens
 * @param argmaxPiece   the argmax token as text (may be "")
 * @param logProb       natural-log probability of the target token
 * @param argmaxLogProb natural-log probability of the argmax token
 */
public record TokenScore(int index, int targetId, String targetPiece, int argmaxId, String argmaxPiece,
                         double logProb, double argmaxLogProb) {
    public TokenScore {
        targetPiece = targetPiece == null ? "" : targetPiece;
        argmaxPiece = argmaxPiece == null ? "" : argmaxPiece;
    }

    /** Short form for the fields the metrics use. */
    public static TokenScore of(int index, int targetId, int argmaxId, double logProb) {
        return new TokenScore(index, targetId, "", argmaxId, "", logProb, targetId == argmaxId ? logProb : Double.NaN);
    }

    public boolean correct() {
        return targetId == argmaxId;
    }
}
