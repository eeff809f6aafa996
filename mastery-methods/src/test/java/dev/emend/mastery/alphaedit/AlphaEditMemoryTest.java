package dev.emend.mastery.alphaedit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.emend.mastery.memit.MemitUpdate;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The memory's kept null-space projection of K_p K_pᵀ against restricting the full moment afresh. */
class AlphaEditMemoryTest {
    private static final int DFF = 24;
    private static final int RANK = 9;

    @Test
    void keptProjectionFollowsAddsAndRemoves() {
        Random rnd = new Random(7);
        NullSpaceProjector p = projector(rnd);
        AlphaEditMemory memory = new AlphaEditMemory();
        AlphaEditUpdate first = update(rnd, 3);
        memory.add(first);
        // first call restricts the full moment; later ones are kept up to date incrementally
        assertClose(p.restrict(memory.momentCopy(2, DFF)), memory.restricted(2, p));
        AlphaEditUpdate second = update(rnd, 5);
        memory.add(second);
        assertClose(p.restrict(memory.momentCopy(2, DFF)), memory.restricted(2, p));

        AlphaEditMemory tried = memory.copy();
        tried.add(update(rnd, 2));
        assertClose(p.restrict(memory.momentCopy(2, DFF)), memory.restricted(2, p)); // the copy is independent
        assertClose(p.restrict(tried.momentCopy(2, DFF)), tried.restricted(2, p));

        memory.remove(first);
        assertClose(p.restrict(memory.momentCopy(2, DFF)), memory.restricted(2, p));
        memory.remove(second);
        assertArrayEquals(new double[RANK * RANK], memory.restricted(2, p), 0.0, "empty memory is exactly zero");

        // a caller modifying the returned array does not corrupt the memory
        memory.add(first);
        double[] g = memory.restricted(2, p);
        g[0] += 1e6;
        assertClose(p.restrict(memory.momentCopy(2, DFF)), memory.restricted(2, p));
        // another projector gets its own projection
        NullSpaceProjector other = projector(new Random(11));
        assertClose(other.restrict(memory.momentCopy(2, DFF)), memory.restricted(2, other));
    }

    private static void assertClose(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-12 * Math.max(1, scale), "entry " + i);
        }
    }

    /** Orthonormal Û (Gram-Schmidt on random columns). */
    private static NullSpaceProjector projector(Random rnd) {
        double[][] cols = new double[RANK][DFF];
        for (int j = 0; j < RANK; j++) {
            for (int p = 0; p < DFF; p++) {
                cols[j][p] = rnd.nextGaussian();
            }
            for (int i = 0; i < j; i++) {
                double dot = 0;
                for (int p = 0; p < DFF; p++) {
                    dot += cols[i][p] * cols[j][p];
                }
                for (int p = 0; p < DFF; p++) {
                    cols[j][p] -= dot * cols[i][p];
                }
            }
            double norm = 0;
            for (int p = 0; p < DFF; p++) {
                norm += cols[j][p] * cols[j][p];
            }
            for (int p = 0; p < DFF; p++) {
                cols[j][p] /= Math.sqrt(norm);
            }
        }
        double[] basis = new double[DFF * RANK];
        for (int p = 0; p < DFF; p++) {
            for (int j = 0; j < RANK; j++) {
                basis[p * RANK + j] = cols[j][p];
            }
        }
        return new NullSpaceProjector(2, DFF, RANK, 0.1, basis, new double[DFF]);
    }

    private static AlphaEditUpdate update(Random rnd, int n) {
        float[] keys = new float[n * DFF];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) rnd.nextGaussian();
        }
        MemitUpdate none = new MemitUpdate("AlphaEdit", List.of(), new double[0], new double[0], new int[0], new double[0]);
        return new AlphaEditUpdate(none, List.of(new AlphaEditUpdate.LayerKeys(2, n, DFF, keys)));
    }
}
