package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;

/**
 * Keys and values of every layer for the positions already processed, plus which of those
 * positions are real tokens (padding is masked out). Owns its arrays through its own manager;
 * close it when the generation ends. Keys are stored before grouped-query expansion.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final boolean[] borrowed;
    private int[][] mask = new int[0][0];
    private int length;

    public KvCache(NDManager parent, int numLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
        this.borrowed = new boolean[numLayers];
    }

    /**
     * A cache that continues from this one's positions without changing it: it reads this cache's
     * arrays and stores what a forward call appends in its own (closed with it), so one cached
     * prefix serves many continuations (an editor's optimisation steps over a fixed prompt
     * prefix). Close the fork before this cache.
     */
    public KvCache fork() {
        KvCache f = new KvCache(manager, keys.length);
        for (int l = 0; l < keys.length; l++) {
            f.keys[l] = keys[l];
            f.values[l] = values[l];
            f.borrowed[l] = keys[l] != null;
        }
        f.mask = Arrays.stream(mask).map(int[]::clone).toArray(int[][]::new);
        f.length = length;
        return f;
    }

    /**
     * A new cache holding rows {@code rows} of this one (in that order), with the same positions:
     * what a batch of continuations keeps when some of its rows are dropped, without running the
     * cached prefix again. Its arrays are copies, owned by the new cache (a child of {@code parent}),
     * so this one may be closed after.
     */
    public KvCache select(NDManager parent, int[] rows) {
        KvCache s = new KvCache(parent, keys.length);
        for (int b : rows) {
            if (b < 0 || b >= mask.length) {
                throw new IndexOutOfBoundsException("row " + b + " of a cache of " + mask.length + " rows");
            }
        }
        try (NDManager tmp = manager.newSubManager()) {
            NDArray index = tmp.create(Arrays.stream(rows).asLongStream().toArray());
            for (int l = 0; l < keys.length; l++) {
                if (keys[l] != null) {
                    NDArray k = keys[l].get(new NDIndex("{}", index));
                    NDArray v = values[l].get(new NDIndex("{}", index));
                    NDScope.unregister(k, v);
                    k.attach(s.manager);
                    v.attach(s.manager);
                    s.keys[l] = k;
                    s.values[l] = v;
                }
            }
        }
        s.mask = Arrays.stream(rows).mapToObj(b -> mask[b].clone()).toArray(int[][]::new);
        s.length = length;
        return s;
    }

    public int length() {
        return length;
    }

    /** Key mask over the cached positions, {@code [batch][length]}, 1 for a real token. */
    public int[][] mask() {
        return mask;
    }

    public NDArray keys(int layer) {
        return keys[layer];
    }

    public NDArray values(int layer) {
        return values[layer];
    }

    /** Stores the full (past + new) keys and values of a layer; takes them out of any scope. */
    public void put(int layer, NDArray k, NDArray v) {
        NDScope.unregister(k, v);
        k.attach(manager);
        v.attach(manager);
        if (!borrowed[layer]) {
            if (keys[layer] != null && keys[layer] != k) {
                keys[layer].close();
            }
            if (values[layer] != null && values[layer] != v) {
                values[layer].close();
            }
        }
        keys[layer] = k;
        values[layer] = v;
        borrowed[layer] = false;
    }

    /** Called once per forward call after all layers stored their arrays. */
    void advance(int[][] newMask) {
        if (length == 0) {
            mask = Arrays.stream(newMask).map(int[]::clone).toArray(int[][]::new);
        } else {
            int[][] m = new int[mask.length][];
            for (int b = 0; b < mask.length; b++) {
                m[b] = Arrays.copyOf(mask[b], mask[b].length + newMask[b].length);
                System.arraycopy(newMask[b], 0, m[b], mask[b].length, newMask[b].length);
            }
            mask = m;
        }
        length += newMask.length == 0 ? 0 : newMask[0].length;
    }

    @Override
    public void close() {
        manager.close();
    }
}
