package dev.emend.mastery.rome;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.runtime.TinyCheckpoints;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Bad hyperparameters are refused with a message that names the EasyEdit field. */
class RomeHyperParamsTest {
    private static final RomeHyperParams OK = RomeHyperParams.smallModel(0, 2);

    private static void rejected(String field, Supplier<RomeHyperParams> make) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::get);
        assertTrue(e.getMessage().contains("'" + field + "'"), "message must name " + field + ": " + e.getMessage());
    }

    private static RomeHyperParams with(List<Integer> layers, String factToken, int steps, double lr, int lossLayer,
                                        double wd, double clamp, double kl, int samples, List<List<Integer>> ctx) {
        return new RomeHyperParams(layers, factToken, steps, lr, lossLayer, wd, clamp, kl, true, 15000, samples, ctx, false);
    }

    @Test
    void modelIndependentChecks() {
        List<List<Integer>> ctx = List.of(List.of(5, 10));
        rejected("layers", () -> with(List.of(0, 1), "subject_last", 10, 0.5, 1, 1e-3, 8, 0.06, 10, ctx));
        rejected("layers", () -> with(List.of(), "subject_last", 10, 0.5, 1, 1e-3, 8, 0.06, 10, ctx));
        rejected("layers", () -> with(List.of(-1), "subject_last", 10, 0.5, 1, 1e-3, 8, 0.06, 10, ctx));
        rejected("fact_token", () -> with(List.of(0), "subject_middle", 10, 0.5, 1, 1e-3, 8, 0.06, 10, ctx));
        rejected("v_num_grad_steps", () -> with(List.of(0), "subject_last", 0, 0.5, 1, 1e-3, 8, 0.06, 10, ctx));
        rejected("v_lr", () -> with(List.of(0), "subject_last", 10, -0.5, 1, 1e-3, 8, 0.06, 10, ctx));
        rejected("v_lr", () -> with(List.of(0), "subject_last", 10, Double.NaN, 1, 1e-3, 8, 0.06, 10, ctx));
        rejected("v_weight_decay", () -> with(List.of(0), "subject_last", 10, 0.5, 1, -1, 8, 0.06, 10, ctx));
        rejected("clamp_norm_factor", () -> with(List.of(0), "subject_last", 10, 0.5, 1, 1e-3, 0, 0.06, 10, ctx));
        rejected("kl_factor", () -> with(List.of(0), "subject_last", 10, 0.5, 1, 1e-3, 8, -0.1, 10, ctx));
        rejected("mom2_n_samples", () -> with(List.of(0), "subject_last", 10, 0.5, 1, 1e-3, 8, 0.06, 0, ctx));
        rejected("context_template_length_params",
                () -> with(List.of(0), "subject_last", 10, 0.5, 1, 1e-3, 8, 0.06, 10, List.of(List.of(5))));
        rejected("v_loss_layer", () -> with(List.of(0), "subject_last", 10, 0.5, -1, 1e-3, 8, 0.06, 10, ctx));
        assertDoesNotThrow(() -> with(List.of(0), "subject_last", 10, 0.5, 1, 1e-3, 8, 0.06, 10, ctx));
    }

    @Test
    void modelDependentChecks() {
        ModelConfig twoLayers = ModelFamilies.forModelType("gpt2").parseConfig(TinyCheckpoints.gpt2Config(300));
        assertDoesNotThrow(() -> OK.validate(twoLayers));
        rejected("layers", () -> OK.withLayer(2).validate(twoLayers));
        rejected("v_loss_layer", () -> RomeHyperParams.gpt2Xl().withLayer(0).validate(twoLayers));
    }
}
