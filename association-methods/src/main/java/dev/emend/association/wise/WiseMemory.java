package dev.emend.association.wise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.ModuleRef;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * WISE's side memory at one layer (Wang et al. 2024), held as deltas D = W_v′ − W_v of the wrapped MLP
 * projection in math orientation {@code [in, out]} (output = out + x·D; {@code [d_ff, d_model]} for the
 * down-projection, {@code [d_model, d_ff]} for the up-projection):
 * the shard being written ({@code current}), shards saved every {@code save_freq} edits, and
 * merged memories (every {@code merge_freq} edits: WISE-Merge folds all saved shards and the
 * previous merge into one memory by TIES with EasyEdit's weights; WISE-Retrieve merges the
 * shards saved since the last merge into one more retrievable memory). Each memory keeps the
 * smallest in-scope activation Δ recorded by its edits: the router's threshold is that times
 * {@code act_ratio} (per memory for Retrieve, over all edits for Merge, as in the reference).
 *
 * <p>All changes come from {@link #applyEdit} in ledger order, so replaying the same payloads
 * always gives the same memories.
 */
public final class WiseMemory implements AutoCloseable {
    /** One routable memory: its delta, its minimum in-scope Δ and how many edits it holds. */
    public static final class Memory {
        final float[] delta;
        final double minAct;
        final int edits;
        NDArray array;

        Memory(float[] delta, double minAct, int edits) {
            this.delta = delta;
            this.minAct = minAct;
            this.edits = edits;
        }

        public double minAct() {
            return minAct;
        }

        public int edits() {
            return edits;
        }
    }

    private final ModuleRef site;
    private final int rows;
    private final int cols;
    private final NDManager manager;
    private final boolean retrieve;
    private final double actRatio;
    private float[] current;
    private double currentMin = Double.POSITIVE_INFINITY;
    private int currentEdits;
    private NDArray currentArray;
    private final String activation;
    private final List<Memory> saved = new ArrayList<>();
    private final List<Memory> merged = new ArrayList<>();
    private double globalMin = Double.POSITIVE_INFINITY;
    private int total;
    private int merges;
    private volatile List<Memory> routable = List.of();

    /**
     * @param site       the layer and projection wrapped
     * @param rows       the projection's input width
     * @param cols       its output width
     * @param activation the activation Δ compares the outputs after ({@link WiseEditor#distanceActivation}),
     *                   or null for the plain ‖x·D‖
     */
    public WiseMemory(ModuleRef site, int rows, int cols, boolean retrieve, double actRatio, String activation,
                      NDManager parent) {
        this.site = site;
        this.activation = activation;
        this.rows = rows;
        this.cols = cols;
        this.retrieve = retrieve;
        this.actRatio = actRatio;
        this.manager = parent.newSubManager();
        this.current = new float[rows * cols];
    }

    /** The layer and projection this memory wraps. */
    public ModuleRef site() {
        return site;
    }

    /** The activation Δ is taken after, or null (plain ‖x·D‖). */
    public String activation() {
        return activation;
    }

    public boolean retrieve() {
        return retrieve;
    }

    public double actRatio() {
        return actRatio;
    }

    public int totalEdits() {
        return total;
    }

    public int merges() {
        return merges;
    }

    /** The delta of the shard being written (a copy): the start of the next edit's training. */
    public float[] currentDelta() {
        return current.clone();
    }

    public int currentEdits() {
        return currentEdits;
    }

    /** The gradient mask of a shard: each entry kept with probability {@code ratio}, from {@code seed}. */
    public static boolean[] mask(long seed, double ratio, int size) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean[] m = new boolean[size];
        for (int i = 0; i < size; i++) {
            m[i] = r.nextDouble() < ratio;
        }
        return m;
    }

    /** Adds one edit's masked delta; saves and merges shards at the configured counts. */
    public void applyEdit(long maskSeed, double maskRatio, float[] maskedValues, double editAct, int saveFreq,
                          int mergeFreq, double density, double mergeWeight) {
        boolean[] mask = mask(maskSeed, maskRatio, rows * cols);
        int j = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                current[i] += maskedValues[j++];
            }
        }
        if (j != maskedValues.length) {
            throw new IllegalArgumentException("WISE payload holds " + maskedValues.length + " values but its mask selects " + j);
        }
        currentMin = Math.min(currentMin, editAct);
        globalMin = Math.min(globalMin, editAct);
        currentEdits++;
        total++;
        if (total % saveFreq == 0) {
            saved.add(new Memory(current, currentMin, currentEdits));
            current = new float[rows * cols];
            currentMin = Double.POSITIVE_INFINITY;
            currentEdits = 0;
        }
        if (total % mergeFreq == 0 && !saved.isEmpty()) {
            merge(saveFreq, mergeFreq, density, mergeWeight);
        }
        rebuild();
    }

    private void merge(int saveFreq, int mergeFreq, double density, double mergeWeight) {
        merges++;
        if (!retrieve) {
            List<float[]> parts = new ArrayList<>();
            int edits = 0;
            for (Memory m : saved) {
                parts.add(m.delta);
                edits += m.edits;
            }
            double[] w;
            if (merged.isEmpty()) {
                w = new double[parts.size()];
                java.util.Arrays.fill(w, mergeWeight / parts.size());
            } else {
                // EasyEdit: the new shards share 0.4, the previous merge keeps 0.6
                Memory prev = merged.get(0);
                parts.add(prev.delta);
                edits += prev.edits;
                w = new double[parts.size()];
                java.util.Arrays.fill(w, 0.4 / (parts.size() - 1));
                w[parts.size() - 1] = 0.6;
            }
            float[] delta = Ties.merge(parts, w, density);
            closeArrays(merged);
            closeArrays(saved);
            merged.clear();
            merged.add(new Memory(delta, globalMin, edits));
            saved.clear();
        } else {
            int num = Math.max(1, mergeFreq / saveFreq);
            int from = Math.max(0, saved.size() - num);
            List<Memory> group = new ArrayList<>(saved.subList(from, saved.size()));
            List<float[]> parts = new ArrayList<>();
            double min = Double.POSITIVE_INFINITY;
            int edits = 0;
            for (Memory m : group) {
                parts.add(m.delta);
                min = Math.min(min, m.minAct);
                edits += m.edits;
            }
            double[] w = new double[parts.size()];
            java.util.Arrays.fill(w, mergeWeight / parts.size());
            float[] delta = Ties.merge(parts, w, density);
            closeArrays(group);
            saved.subList(from, saved.size()).clear();
            merged.add(new Memory(delta, min, edits));
        }
    }

    private static void closeArrays(List<Memory> ms) {
        for (Memory m : ms) {
            if (m.array != null) {
                m.array.close();
                m.array = null;
            }
        }
    }

    private void rebuild() {
        Shape shape = new Shape(rows, cols);
        List<Memory> r = new ArrayList<>();
        for (Memory m : merged) {
            if (m.array == null) {
                m.array = manager.create(m.delta, shape);
                ai.djl.ndarray.NDScope.unregister(m.array);
            }
            r.add(m);
        }
        for (Memory m : saved) {
            if (m.array == null) {
                m.array = manager.create(m.delta, shape);
                ai.djl.ndarray.NDScope.unregister(m.array);
            }
            r.add(m);
        }
        if (currentArray != null) {
            currentArray.close();
            currentArray = null;
        }
        if (currentEdits > 0) {
            Memory cur = new Memory(current, currentMin, currentEdits);
            currentArray = manager.create(current, shape);
            ai.djl.ndarray.NDScope.unregister(currentArray);
            cur.array = currentArray;
            r.add(cur);
        }
        routable = List.copyOf(r);
    }

    /** The memories the router chooses among (merged, saved shards, the shard being written). */
    public List<Memory> routable() {
        return routable;
    }

    /** The router's threshold for a memory: its own minimum (Retrieve) or the global one (Merge), × act_ratio. */
    public double threshold(Memory m) {
        return (retrieve ? m.minAct : globalMin) * actRatio;
    }

    public long footprintBytes() {
        return (long) routable.size() * rows * cols * 8L + (long) rows * cols * 4L;
    }

    @Override
    public void close() {
        manager.close();
    }
}
