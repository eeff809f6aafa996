package dev.emend.association.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.runtime.LanguageModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A right-padded batch of {@code prompt + " " + target} rows (teacher forcing, EasyEdit's FT-M /
 * "only_label" objective) followed by optional context-only rows (WISE's irrelevant inputs) that
 * carry no target loss. {@link #targetLoss} is the cross-entropy averaged over each target row's
 * target tokens (prompt positions masked), then over the target rows — what GRACE's value
 * training, WISE's edit loss and LoRA's adapter training all minimise.
 */
public final class TargetBatch {
    private final ForwardInput input;
    private final int batch;
    private final int len;
    private final int targetRows;
    private final int[] lengths;
    private final int[] lastPrompt;
    private final int[][] targets;
    private final long[] labels;
    private final float[] labelWeights;

    private TargetBatch(ForwardInput input, int batch, int len, int targetRows, int[] lengths, int[] lastPrompt,
                        int[][] targets, long[] labels, float[] labelWeights) {
        this.input = input;
        this.batch = batch;
        this.len = len;
        this.targetRows = targetRows;
        this.lengths = lengths;
        this.lastPrompt = lastPrompt;
        this.targets = targets;
        this.labels = labels;
        this.labelWeights = labelWeights;
    }

    /** One row per request's (prompt, target new), no context rows: what the adapter methods train on. */
    public static TargetBatch ofRequests(LanguageModel lm, List<EditRequest> requests) {
        List<String[]> pairs = new ArrayList<>();
        for (EditRequest r : requests) {
            pairs.add(new String[] {r.prompt(), r.targetNew()});
        }
        return of(lm, pairs, List.of());
    }

    /** Rows for (prompt, target) pairs, then {@code context} rows run as they are. */
    public static TargetBatch of(LanguageModel lm, List<String[]> promptTargets, List<String> context) {
        List<int[]> rows = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        List<Integer> promptLens = new ArrayList<>();
        for (String[] pt : promptTargets) {
            int[][] split = lm.tokenizePair(pt[0], pt[1].strip());
            int[] p = split[0];
            int[] t = split[1];
            int[] row = Arrays.copyOf(p, p.length + t.length - 1);
            System.arraycopy(t, 0, row, p.length, t.length - 1);
            rows.add(row);
            targets.add(t);
            promptLens.add(p.length);
        }
        for (String c : context) {
            int[] ids = lm.encodePrompt(c);
            if (ids.length > lm.config().maxPositions()) {
                ids = Arrays.copyOf(ids, lm.config().maxPositions());
            }
            rows.add(ids);
            promptLens.add(ids.length);
        }
        int batch = rows.size();
        int len = rows.stream().mapToInt(a -> a.length).max().orElseThrow();
        long[][] ids = new long[batch][len];
        int[][] mask = new int[batch][len];
        int[] lengths = new int[batch];
        int[] lastPrompt = new int[batch];
        long[] labels = new long[batch * len];
        float[] weights = new float[batch * len];
        int nt = promptTargets.size();
        for (int b = 0; b < batch; b++) {
            int[] row = rows.get(b);
            lengths[b] = row.length;
            lastPrompt[b] = promptLens.get(b) - 1;
            for (int i = 0; i < row.length; i++) {
                ids[b][i] = row[i];
                mask[b][i] = 1;
            }
            if (b < nt) {
                int[] t = targets.get(b);
                for (int j = 0; j < t.length; j++) {
                    int pos = lastPrompt[b] + j;
                    labels[b * len + pos] = t[j];
                    weights[b * len + pos] = 1f / (t.length * nt);
                }
            }
        }
        return new TargetBatch(new ForwardInput(ids, mask), batch, len, nt, lengths, lastPrompt,
                targets.toArray(new int[0][]), labels, weights);
    }

    public ForwardInput input() {
        return input;
    }

    public int batch() {
        return batch;
    }

    public int length() {
        return len;
    }

    public int targetRows() {
        return targetRows;
    }

    /** Real (unpadded) length of each row. */
    public int[] lengths() {
        return lengths.clone();
    }

    /** Position of the last prompt token of each row (the key position of GRACE). */
    public int lastPrompt(int row) {
        return lastPrompt[row];
    }

    public int[] targetIds(int row) {
        return targets[row].clone();
    }

    /** {@code [batch, len]} 1 for real tokens, 0 for padding, in {@code m}. */
    public NDArray tokenMask(NDManager m) {
        float[] f = new float[batch * len];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < lengths[b]; i++) {
                f[b * len + i] = 1f;
            }
        }
        return m.create(f, new Shape(batch, len));
    }

    /** Mean target cross-entropy of the target rows, from logits {@code [batch, len, vocab]}. */
    public NDArray targetLoss(NDManager m, NDArray logits) {
        NDArray logp = logits.logSoftmax(-1);
        NDArray gathered = logp.gather(m.create(labels, new Shape(batch, len, 1)), 2).reshape(batch, len);
        return gathered.mul(m.create(labelWeights, new Shape(batch, len))).sum().neg();
    }
}
