package dev.emend.association.grace;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.emend.core.model.ModuleRef;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.Scalars;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GRACE's codebook at one site (Hartvigsen et al. 2023; a layer's MLP down- or up-projection): entries of
 * (key = input of the wrapped projection at the edited prompt's last token, value = the projection's output
 * that replaces the layer's, deferral radius ε, label = the target's token ids), each owned by the
 * ledger edit that created it. The Java lists are the truth; the key matrix used for the batched
 * nearest-key search is rebuilt lazily (once per batch of applies) under the state's manager.
 *
 * <p>Distances: {@code euc} = ‖q − k‖₂ (the reference's default), {@code cos} = 1 − cos(q, k).
 */
public final class GraceCodebook implements AutoCloseable {
    /** One codebook entry. */
    public static final class Entry {
        final String editId;
        float[] key;
        float[] value;
        double eps;
        final int[] label;

        Entry(String editId, float[] key, float[] value, double eps, int[] label) {
            this.editId = editId;
            this.key = key;
            this.value = value;
            this.eps = eps;
            this.label = label;
        }

        public String editId() {
            return editId;
        }

        public float[] key() {
            return key.clone();
        }

        public float[] value() {
            return value.clone();
        }

        public double eps() {
            return eps;
        }

        public int[] label() {
            return label.clone();
        }
    }

    /** The nearest entry to a query and its distance, or index -1 when the codebook is empty. */
    public record Nearest(int index, double distance) {}

    private final ModuleRef site;
    private final String distFn;
    private final String replacement;
    private final int keySize;
    private final int valueSize;
    private final NDManager manager;
    private final List<Entry> entries = new ArrayList<>();
    private NDArray keysT;      // [keySize, N]
    private NDArray keyNorms;   // [1, N] squared norms (euc) or norms (cos)
    private float[] valuesFlat; // [N * valueSize]
    private double[] epsArray;
    private boolean dirty = true;

    public GraceCodebook(ModuleRef site, String distFn, String replacement, int keySize, int valueSize, NDManager parent) {
        this.site = site;
        this.distFn = distFn;
        this.replacement = replacement;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.manager = parent.newSubManager();
    }

    /** The layer and projection this codebook wraps. */
    public ModuleRef site() {
        return site;
    }

    public String distFn() {
        return distFn;
    }

    public String replacement() {
        return replacement;
    }

    public int size() {
        return entries.size();
    }

    public List<Entry> entries() {
        return java.util.Collections.unmodifiableList(entries);
    }

    public int indexOf(String editId) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).editId.equals(editId)) {
                return i;
            }
        }
        return -1;
    }

    public void add(String editId, float[] key, float[] value, double eps, int[] label) {
        entries.add(new Entry(editId, key.clone(), value.clone(), eps, label.clone()));
        dirty = true;
    }

    public void setEps(int index, double eps) {
        entries.get(index).eps = eps;
        dirty = true;
    }

    public void setKey(int index, float[] key) {
        entries.get(index).key = key.clone();
        dirty = true;
    }

    public void setValue(int index, float[] value) {
        entries.get(index).value = value.clone();
        dirty = true;
    }

    /** Exact distance in double precision (used when deciding codebook updates). */
    public double distance(float[] q, float[] k) {
        if ("cos".equals(distFn)) {
            double dot = 0;
            double nq = 0;
            double nk = 0;
            for (int i = 0; i < q.length; i++) {
                dot += (double) q[i] * k[i];
                nq += (double) q[i] * q[i];
                nk += (double) k[i] * k[i];
            }
            return 1 - dot / Math.max(1e-12, Math.sqrt(nq) * Math.sqrt(nk));
        }
        double s = 0;
        for (int i = 0; i < q.length; i++) {
            double d = (double) q[i] - k[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /** The nearest entry to {@code query} (linear scan in double precision). */
    public Nearest nearest(float[] query) {
        int best = -1;
        double bestD = Double.POSITIVE_INFINITY;
        for (int i = 0; i < entries.size(); i++) {
            double d = distance(query, entries.get(i).key);
            if (d < bestD) {
                bestD = d;
                best = i;
            }
        }
        return new Nearest(best, bestD);
    }

    private synchronized void refresh() {
        if (!dirty) {
            return;
        }
        if (keysT != null) {
            keysT.close();
            keyNorms.close();
            keysT = null;
            keyNorms = null;
        }
        int n = entries.size();
        valuesFlat = new float[n * valueSize];
        epsArray = new double[n];
        if (n > 0) {
            float[] kt = new float[keySize * n];
            float[] norms = new float[n];
            for (int j = 0; j < n; j++) {
                Entry e = entries.get(j);
                double s = 0;
                for (int i = 0; i < keySize; i++) {
                    kt[i * n + j] = e.key[i];
                    s += (double) e.key[i] * e.key[i];
                }
                norms[j] = (float) ("cos".equals(distFn) ? Math.sqrt(s) : s);
                System.arraycopy(e.value, 0, valuesFlat, j * valueSize, valueSize);
                epsArray[j] = e.eps;
            }
            keysT = manager.create(kt, new Shape(keySize, n));
            keyNorms = manager.create(norms, new Shape(1, n));
            // built lazily, possibly inside a request's NDScope: these belong to the codebook
            ai.djl.ndarray.NDScope.unregister(keysT, keyNorms);
        }
        dirty = false;
    }

    /**
     * Batched nearest-key search for every query row {@code [rows, keySize]} (owned by the
     * request's manager): one matrix product against the key matrix, then argmin per row.
     * Returns per row the nearest index, or -1 when it lies outside that entry's radius.
     */
    public int[] matchRows(NDArray queries) {
        refresh();
        int rows = Math.toIntExact(queries.getShape().get(0));
        int[] match = new int[rows];
        Arrays.fill(match, -1);
        NDArray kt;
        NDArray kn;
        double[] eps;
        synchronized (this) {
            if (entries.isEmpty()) {
                return match;
            }
            kt = keysT;
            kn = keyNorms;
            eps = epsArray;
        }
        NDArray dots = queries.matMul(kt); // [rows, N], in the request's manager
        NDArray dist;
        if ("cos".equals(distFn)) {
            NDArray qn = queries.norm(new int[] {1}, true).maximum(1e-12f);
            dist = dots.div(qn).div(kn).neg().add(1f);
        } else {
            NDArray qq = queries.square().sum(new int[] {1}, true);
            dist = Scalars.mul(dots, -2).add(qq).add(kn).maximum(0f).sqrt();
        }
        long[] idx = dist.argMin(1).toLongArray();
        float[] best = dist.min(new int[] {1}).toFloatArray();
        for (int r = 0; r < rows; r++) {
            int j = (int) idx[r];
            if (best[r] <= eps[j] + 1e-6 * Math.max(1.0, eps[j])) {
                match[r] = j;
            }
        }
        return match;
    }

    /** The value vector of entry {@code j} from the search snapshot. */
    float[] valueOf(int j) {
        float[] v = new float[valueSize];
        System.arraycopy(valuesFlat, j * valueSize, v, 0, valueSize);
        return v;
    }

    public int valueSize() {
        return valueSize;
    }

    public long footprintBytes() {
        return (long) entries.size() * (keySize * 2L + valueSize * 2L + 16) * 4;
    }

    @Override
    public synchronized void close() {
        manager.close();
        entries.clear();
    }
}
