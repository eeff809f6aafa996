package dev.emend.association.wise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TiesTest {
    @Test
    void trimsElectsSignAndAveragesTheAgreeingEntries() {
        float[] a = {4, -1, 2, 0.1f};
        float[] b = {2, 3, -1, 0.2f};
        // density 0.5 keeps the two largest magnitudes of each: a → {4, 0, 2, 0}, b → {2, 3, 0, 0}
        float[] merged = Ties.merge(List.of(a, b), new double[] {0.5, 0.5}, 0.5);
        // entry 0: both positive → (0.5·4 + 0.5·2) / 1 = 3; entry 1: only b → 3; entry 2: only a → 2; entry 3: trimmed
        assertArrayEquals(new float[] {3, 3, 2, 0}, merged, 1e-6f);
        // opposite signs: the elected sign wins and the loser is dropped
        float[] m2 = Ties.merge(List.of(new float[] {5}, new float[] {-2}), new double[] {0.5, 0.5}, 1.0);
        assertArrayEquals(new float[] {5}, m2, 1e-6f);
    }
}
