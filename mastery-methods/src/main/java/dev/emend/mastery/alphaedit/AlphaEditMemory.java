package dev.emend.mastery.alphaedit;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The keys of the edits already committed to one space, as AlphaEdit's K_p K_pᵀ per layer (the
 * reference's {@code cache_c}): each new edit is solved so as not to disturb them. It is an
 * explicit value so that a service can rebuild it by replaying its committed edits in order
 * ({@link #add}) and drop an edit's keys when it is rolled back ({@link #remove}). Removing is
 * exact for the memory, but rollback of an edit is only approximate for the weights of the edits
 * made after it, which were solved while its keys were present.
 *
 * Not thread-safe: a space's edits are computed one at a time.
 */
public final class AlphaEditMemory {
    private final Map<Integer, double[]> moments = new TreeMap<>();
    private final Map<Integer, Integer> dims = new HashMap<>();
    private final Map<Integer, Integer> counts = new HashMap<>();
    /** Per layer, Ûᵀ K_p K_pᵀ Û for the projector last asked for, kept up to date by add/remove. */
    private final Map<Integer, Restricted> restricted = new HashMap<>();

    private record Restricted(NullSpaceProjector projector, double[] g) {}

    public AlphaEditMemory() {
    }

    /** Adds a committed edit's keys: K_p K_pᵀ += K Kᵀ at each of its layers. */
    public void add(AlphaEditUpdate update) {
        for (AlphaEditUpdate.LayerKeys k : update.memoryKeys()) {
            accumulate(k, 1);
        }
    }

    /** Takes a rolled-back edit's keys out again (K_p K_pᵀ −= K Kᵀ). */
    public void remove(AlphaEditUpdate update) {
        for (AlphaEditUpdate.LayerKeys k : update.memoryKeys()) {
            Integer have = counts.get(k.layer());
            if (have == null || have < k.n()) {
                throw new IllegalStateException("AlphaEdit memory holds " + (have == null ? 0 : have) + " keys at layer "
                        + k.layer() + ", cannot remove " + k.n() + " (was this edit added?)");
            }
            accumulate(k, -1);
        }
    }

    /** How many keys layer {@code layer} holds. */
    public int keyCount(int layer) {
        return counts.getOrDefault(layer, 0);
    }

    /**
     * K_p K_pᵀ at {@code layer} (row-major d_ff × d_ff, the live array: do not modify), or null
     * when no key was added there.
     */
    double[] moment(int layer) {
        return counts.getOrDefault(layer, 0) == 0 ? null : moments.get(layer);
    }

    /**
     * Ûᵀ K_p K_pᵀ Û at {@code layer} for {@code p} (r × r row-major, a copy the caller may modify;
     * zeros when the layer holds no key). The first call for a projector restricts the full
     * moment (d_ff² r work); the memory then keeps that projection up to date as edits are added
     * or removed ((Ûᵀk)(Ûᵀk)ᵀ per key, r² work), so a sequential edit does not pay the d_ff² r
     * restriction again, which was 80 % of AlphaEdit's Java time per edit on emend-facts.
     */
    public double[] restricted(int layer, NullSpaceProjector p) {
        Restricted cached = restricted.get(layer);
        if (cached == null || cached.projector() != p) {
            double[] m = moment(layer);
            cached = new Restricted(p, m == null ? new double[p.rank() * p.rank()] : p.restrict(m));
            restricted.put(layer, cached);
        }
        return cached.g().clone();
    }

    /** A copy of K_p K_pᵀ at {@code layer}; zeros of {@code dff} when empty. */
    public double[] momentCopy(int layer, int dff) {
        double[] m = moments.get(layer);
        return m == null ? new double[dff * dff] : m.clone();
    }

    /** An independent copy (e.g. to try an edit without committing it). */
    public AlphaEditMemory copy() {
        AlphaEditMemory c = new AlphaEditMemory();
        moments.forEach((l, m) -> c.moments.put(l, m.clone()));
        c.dims.putAll(dims);
        c.counts.putAll(counts);
        restricted.forEach((l, r) -> c.restricted.put(l, new Restricted(r.projector(), r.g().clone())));
        return c;
    }

    private void accumulate(AlphaEditUpdate.LayerKeys k, int sign) {
        int dff = k.dff();
        Integer dim = dims.putIfAbsent(k.layer(), dff);
        if (dim != null && dim != dff) {
            throw new IllegalArgumentException("layer " + k.layer() + " keys are " + dff + "-dimensional, the memory holds "
                    + dim);
        }
        double[] m = moments.computeIfAbsent(k.layer(), l -> new double[dff * dff]);
        float[] keys = k.keys();
        for (int i = 0; i < k.n(); i++) {
            int base = i * dff;
            for (int p = 0; p < dff; p++) {
                double kp = sign * (double) keys[base + p];
                if (kp == 0) {
                    continue;
                }
                int row = p * dff;
                for (int q = 0; q < dff; q++) {
                    m[row + q] += kp * keys[base + q];
                }
            }
        }
        Restricted r = restricted.get(k.layer());
        if (r != null) {
            NullSpaceProjector p = r.projector();
            int rank = p.rank();
            double[] g = r.g();
            double[] x = new double[dff];
            for (int i = 0; i < k.n(); i++) {
                for (int q = 0; q < dff; q++) {
                    x[q] = keys[i * dff + q];
                }
                double[] y = p.coordinates(x);
                for (int a = 0; a < rank; a++) {
                    double ya = sign * y[a];
                    int row = a * rank;
                    for (int b = 0; b < rank; b++) {
                        g[row + b] += ya * y[b];
                    }
                }
            }
        }
        int c = counts.merge(k.layer(), sign * k.n(), Integer::sum);
        if (c == 0) {
            // exact zero again, no rounding residue from add-then-remove
            java.util.Arrays.fill(m, 0);
            if (r != null) {
                java.util.Arrays.fill(r.g(), 0);
            }
        }
    }
}
