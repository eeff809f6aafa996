package dev.emend.core.model;

/**
 * A batch of token ids for one forward call, {@code [batch][newTokens]}, with a mask that is 1
 * for real tokens and 0 for padding. Any padding side works: positions are counted over real
 * tokens only, so a left-padded prompt gets the same positions as an unpadded one.
 */
public record ForwardInput(long[][] ids, int[][] mask) {
    public ForwardInput {
        if (ids.length == 0 || ids[0].length == 0) {
            throw new IllegalArgumentException("forward input is empty");
        }
        for (int b = 0; b < ids.length; b++) {
            if (ids[b].length != ids[0].length || mask[b].length != ids[0].length) {
                throw new IllegalArgumentException("forward input row " + b + " is ragged: pad rows to one length");
            }
        }
    }

    public static ForwardInput of(long[]... ids) {
        int[][] mask = new int[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            mask[b] = new int[ids[b].length];
            java.util.Arrays.fill(mask[b], 1);
        }
        return new ForwardInput(ids, mask);
    }

    public int batchSize() {
        return ids.length;
    }

    public int length() {
        return ids[0].length;
    }
}
