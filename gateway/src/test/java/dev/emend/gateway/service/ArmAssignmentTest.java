package dev.emend.gateway.service;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArmAssignmentTest {
    @Test
    void splitsByWeightWithinTolerance() {
        List<Double> weights = List.of(1.0, 2.0, 5.0);
        int n = 40_000;
        int[] counts = new int[3];
        for (int i = 0; i < n; i++) {
            counts[ArmAssignment.arm("exp-1", "caller-" + i, weights)]++;
        }
        double[] expected = {n / 8.0, n * 2 / 8.0, n * 5 / 8.0};
        for (int a = 0; a < 3; a++) {
            assertTrue(Math.abs(counts[a] - expected[a]) < 0.015 * n, "arm " + a + ": " + counts[a] + " vs " + expected[a]);
        }
    }

    @Test
    void isStickyAndIndependentAcrossExperiments() {
        List<Double> weights = List.of(1.0, 1.0);
        int same = 0;
        for (int i = 0; i < 10_000; i++) {
            int a = ArmAssignment.arm("exp-1", "c" + i, weights);
            assertEquals(a, ArmAssignment.arm("exp-1", "c" + i, weights));
            if (a == ArmAssignment.arm("exp-2", "c" + i, weights)) {
                same++;
            }
        }
        assertTrue(Math.abs(same - 5_000) < 300, "another experiment splits independently: " + same);
    }
}
