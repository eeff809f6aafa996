package dev.emend.mastery.memit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class MemitHyperParamsTest {
    private static final MemitHyperParams OK = MemitHyperParams.smallModel(List.of(0, 1), 4, 256);

    private static void rejects(String field, Supplier<MemitHyperParams> make) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::get);
        assertTrue(e.getMessage().contains("'" + field + "'"), e.getMessage());
    }

    @Test
    void defaultsAreValid() {
        assertEquals(1, OK.lastLayer());
        assertEquals(10, OK.mom2UpdateWeight(), 0);
        assertEquals(0.75, OK.clampNormFactor(), 0);
        assertEquals(List.of(13, 14, 15, 16, 17), MemitHyperParams.gpt2Xl().layers());
        assertEquals(20000, MemitHyperParams.gpt2Xl().mom2UpdateWeight(), 0);
        assertEquals(List.of(1), OK.zStep().layers());
    }

    @Test
    void badValuesNameTheirField() {
        rejects("layers", () -> OK.withLayers(List.of()));
        rejects("layers", () -> OK.withLayers(List.of(2, 1)));
        rejects("layers", () -> OK.withLayers(List.of(1, 1)));
        rejects("layers", () -> OK.withLayers(List.of(-1, 0)));
        rejects("fact_token", () -> OK.withFactToken("middle"));
        rejects("v_num_grad_steps", () -> OK.withOptimisation(0, 0.5, 1e-3, 0.75, 0.06));
        rejects("v_lr", () -> OK.withOptimisation(5, 0, 1e-3, 0.75, 0.06));
        rejects("v_weight_decay", () -> OK.withOptimisation(5, 0.5, -1, 0.75, 0.06));
        rejects("clamp_norm_factor", () -> OK.withOptimisation(5, 0.5, 1e-3, 0, 0.06));
        rejects("kl_factor", () -> OK.withOptimisation(5, 0.5, 1e-3, 0.75, Double.NaN));
        rejects("mom2_update_weight", () -> OK.withMom2(true, 0));
        rejects("mom2_update_weight", () -> OK.withMom2(false, -1));
        rejects("mom2_n_samples", () -> new MemitHyperParams(List.of(0), "last", 5, 0.5, 3, 0, 0.75, 0, true, 10, 0,
                List.of()));
        rejects("context_template_length_params", () -> new MemitHyperParams(List.of(0), "last", 5, 0.5, 3, 0, 0.75, 0,
                true, 10, 10, List.of(List.of(0, 3))));
    }

    private static MemitHyperParams withTemplates(List<List<Integer>> params) {
        return new MemitHyperParams(List.of(0), "subject_last", 5, 0.5, 3, 0, 0.75, 0, true, 10, 10, params);
    }

    /** The reference's key: mean within each context type ("{}", then one per pair), then over the types. */
    @Test
    void keyWeightsAverageWithinEachContextTypeThenOverTheTypes() {
        double[] memit = withTemplates(MemitHyperParams.REFERENCE_CONTEXT_TEMPLATES).keyTemplateWeights(6);
        assertEquals(0.5, memit[0], 1e-15);
        for (int i = 1; i < 6; i++) {
            assertEquals(0.1, memit[i], 1e-15);
        }
        double[] two = withTemplates(List.of(List.of(5, 2), List.of(10, 4))).keyTemplateWeights(7);
        double[] expected = {1 / 3.0, 1 / 6.0, 1 / 6.0, 1 / 12.0, 1 / 12.0, 1 / 12.0, 1 / 12.0};
        for (int i = 0; i < 7; i++) {
            assertEquals(expected[i], two[i], 1e-15, "template " + i);
        }
        double[] emptyPair = withTemplates(List.of(List.of(5, 0), List.of(10, 2))).keyTemplateWeights(3);
        assertEquals(0.5, emptyPair[0], 1e-15);
        assertEquals(0.25, emptyPair[2], 1e-15);
        assertEquals(1.0, withTemplates(List.of()).keyTemplateWeights(1)[0], 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> withTemplates(MemitHyperParams.REFERENCE_CONTEXT_TEMPLATES).keyTemplateWeights(11));
        assertTrue(e.getMessage().contains("6 templates, not 11"), e.getMessage());
    }
}
