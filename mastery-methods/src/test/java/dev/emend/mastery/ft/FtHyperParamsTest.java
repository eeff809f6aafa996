package dev.emend.mastery.ft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FtHyperParamsTest {

    private static void rejects(String field, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains("'" + field + "'"), e.getMessage());
    }

    @Test
    void defaultsFollowEasyEdit() {
        FtHyperParams l = FtHyperParams.ftL(3);
        assertEquals(List.of(3), l.layers());
        assertEquals(25, l.numSteps());
        assertEquals(5e-4, l.lr());
        assertEquals(5e-4, l.normConstraint());
        assertEquals("prompt_last", l.objectiveOptimization());
        assertEquals("FT-L", l.methodName());
        FtHyperParams m = FtHyperParams.ftM(0);
        assertEquals("target_new", m.objectiveOptimization());
        assertEquals("FT-M", m.methodName());
        assertTrue(!m.constrained());
    }

    @Test
    void badFieldsAreRejectedByName() {
        rejects("layers", () -> new FtHyperParams(List.of(), 25, 5e-4, 5e-4, "prompt_last", 1));
        rejects("layers", () -> new FtHyperParams(null, 25, 5e-4, 5e-4, "prompt_last", 1));
        rejects("layers", () -> new FtHyperParams(List.of(-1), 25, 5e-4, 5e-4, "prompt_last", 1));
        rejects("layers", () -> new FtHyperParams(List.of(1, 1), 25, 5e-4, 5e-4, "prompt_last", 1));
        rejects("layers", () -> new FtHyperParams(Arrays.asList(1, null), 25, 5e-4, 5e-4, "prompt_last", 1));
        rejects("num_steps", () -> new FtHyperParams(List.of(0), 0, 5e-4, 5e-4, "prompt_last", 1));
        rejects("lr", () -> new FtHyperParams(List.of(0), 25, 0, 5e-4, "prompt_last", 1));
        rejects("lr", () -> new FtHyperParams(List.of(0), 25, Double.NaN, 5e-4, "prompt_last", 1));
        rejects("norm_constraint", () -> new FtHyperParams(List.of(0), 25, 5e-4, Double.NaN, "prompt_last", 1));
        rejects("objective_optimization", () -> new FtHyperParams(List.of(0), 25, 5e-4, 5e-4, "last", 1));
        rejects("batch_size", () -> new FtHyperParams(List.of(0), 25, 5e-4, 5e-4, "target_new", 0));
    }
}
