package dev.emend.core.runtime;

/**
 * A teacher-forced pass over {@code prompt + " " + target}: for each target token, the id the
 * model ranks first at that position, the target id, and the target's log-probability. Every
 * accuracy metric of the KnowEdit protocol derives from this.
 */
public record ScoreResult(int[] promptIds, int[] targetIds, int[] argmaxIds, float[] logProbs) {
    /** Fraction of target tokens where the argmax equals the target (EasyEdit's rewrite_acc). */
    public double tokenAccuracy() {
        int hit = 0;
        for (int i = 0; i < targetIds.length; i++) {
            if (argmaxIds[i] == targetIds[i]) {
                hit++;
            }
        }
        return targetIds.length == 0 ? 0 : (double) hit / targetIds.length;
    }

    /** True when every target token is the argmax. */
    public boolean allCorrect() {
        for (int i = 0; i < targetIds.length; i++) {
            if (argmaxIds[i] != targetIds[i]) {
                return false;
            }
        }
        return true;
    }

    public double sumLogProb() {
        double s = 0;
        for (float f : logProbs) {
            s += f;
        }
        return s;
    }

    public double meanLogProb() {
        return targetIds.length == 0 ? 0 : sumLogProb() / targetIds.length;
    }
}
