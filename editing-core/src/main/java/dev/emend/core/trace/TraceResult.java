package dev.emend.core.trace;

import java.util.List;

/**
 * The outcome of one causal trace: the prompt's tokens, the subject's span {@code [subjectStart,
 * subjectEnd)}, the answer token, its probability at the last position in the clean run and with
 * the subject's embeddings corrupted, and three grids {@code [layer][token]} of the mean answer
 * probability when one clean state is restored into the corrupted runs (block output of that
 * layer; MLP or attention outputs of a window of layers centred on it), the number of noise
 * samples, and the wall-clock and calling-thread CPU time of the trace in milliseconds.
 */
public record TraceResult(List<String> tokens, int subjectStart, int subjectEnd, int answerId, String answer,
                          float pClean, float pCorrupt, float noiseStd, int window,
                          float[][] block, float[][] mlp, float[][] attention, int samples, double millis, double cpuMillis) {

    /** Which state was restored. */
    public enum Kind { BLOCK, MLP, ATTENTION }

    public float[][] grid(Kind kind) {
        return switch (kind) {
            case BLOCK -> block;
            case MLP -> mlp;
            case ATTENTION -> attention;
        };
    }

    /** Indirect effect {@code p_restored − p_corrupt} at every {@code [layer][token]}. */
    public float[][] indirectEffect(Kind kind) {
        float[][] g = grid(kind);
        float[][] out = new float[g.length][];
        for (int l = 0; l < g.length; l++) {
            out[l] = new float[g[l].length];
            for (int t = 0; t < g[l].length; t++) {
                out[l][t] = g[l][t] - pCorrupt;
            }
        }
        return out;
    }

    /** Total effect of the corruption, {@code p_clean − p_corrupt}. */
    public float totalEffect() {
        return pClean - pCorrupt;
    }
}
