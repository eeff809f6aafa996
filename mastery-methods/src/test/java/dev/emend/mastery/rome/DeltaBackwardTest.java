package dev.emend.mastery.rome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.TinyCheckpoints;
import dev.emend.core.safetensors.SafetensorsFile;
import dev.emend.core.safetensors.SafetensorsWriter;
import dev.emend.core.safetensors.SafetensorsWriter.FloatTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The value step's layer-wise backward (recompute each block from its boundary, the LM head's
 * transpose in pieces) gives the gradient and the δ of the one-graph backward, up to float
 * rounding, on half-precision checkpoints: a 4-layer Llama (untied head, RMSNorm, grouped-query
 * attention) and a 2-layer GPT-2 (tied head, LayerNorm), both stored as bf16 (held as float16,
 * computed in float32), for ROME with the cached prompt prefix, ROME at the last layer (no block
 * above δ), ROME over a space's hooks (δ added by a hook, whole rows) and MEMIT's residual δ.
 */
class DeltaBackwardTest {
    @TempDir
    static Path tmp;
    private static LanguageModel llama;
    private static LanguageModel gpt2;
    /** A 2-layer Llama whose MLP matrices and LM head (140,000 × 32) are converted in two pieces each. */
    private static LanguageModel wide;

    private static final RomeRequest REQUEST = new RomeRequest("The capital of {} is", "France", "Santiago");

    @BeforeAll
    static void load() throws IOException {
        llama = Checkpoints.load(bf16(tmp.resolve("llama"), "llama", 4));
        gpt2 = Checkpoints.load(bf16(tmp.resolve("gpt2"), "gpt2", 2));
        wide = Checkpoints.load(bf16(tmp.resolve("wide"), "llama", 2, WIDE));
    }

    /** Over the model's 4M-element conversion piece when multiplied by d_model 32. */
    private static final int WIDE = 140_000;

    @AfterAll
    static void close() {
        llama.close();
        gpt2.close();
        wide.close();
    }

    /** A tiny checkpoint of {@code family} with {@code layers} layers, its weights written as bf16. */
    private static Path bf16(Path dir, String family, int layers) throws IOException {
        return bf16(dir, family, layers, 0);
    }

    /** As above; {@code width} &gt; 0 is both the MLP's inner width and the vocabulary (Llama only). */
    private static Path bf16(Path dir, String family, int layers, int width) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.build(dir, family, 31, m);
            JsonObject cfg = TinyCheckpoints.config(family, TinyCheckpoints.vocabSize(dir.resolveSibling(dir.getFileName() + "-tok")));
            cfg.addProperty(family.equals("gpt2") ? "n_layer" : "num_hidden_layers", layers);
            if (width > 0) {
                cfg.addProperty("intermediate_size", width);
                cfg.addProperty("vocab_size", width);
            }
            ModelFamily fam = ModelFamilies.forModelType(family);
            ModelConfig config = fam.parseConfig(cfg);
            Checkpoints.save(dir, fam, config, fam.create(config).initialise(m, 32), null);
        }
        Path file = dir.resolve("model.safetensors");
        Map<String, FloatTensor> values = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                values.put(name, new FloatTensor(f.loadFloats(name), f.info(name).shape()));
            }
        }
        SafetensorsWriter.writeFloats(file, values, Map.of(), SafetensorsWriter.Precision.BF16);
        return dir;
    }

    private static RomeHyperParams hp(LanguageModel lm, int layer, int steps) {
        return hp(lm, layer, steps, "subject_last");
    }

    private static RomeHyperParams hp(LanguageModel lm, int layer, int steps, String factToken) {
        return new RomeHyperParams(List.of(layer), factToken, steps, 0.5, lm.config().numLayers() - 1, 1e-3, 8.0, 0.0625,
                false, 15000, 100_000, List.of(List.of(3, 2)), false);
    }

    /** A space hook that changes nothing: its presence makes ROME add δ by a hook and run whole rows. */
    private static final Hooks IDENTITY = Hooks.of(new LayerHook() {
    });

    @Test
    void theCheckpointsAreHeldInHalfPrecision() {
        String head = llama.model().lmHeadWeightName();
        assertEquals(DataType.FLOAT16, llama.baseView().weights().get(head).getDataType());
        assertEquals(DataType.FLOAT16, gpt2.baseView().weights().get(gpt2.model().lmHeadWeightName()).getDataType());
    }

    @Test
    void llamaRomeWithTheCachedPrefix() {
        sameGradients(llama, 1, false, Hooks.NONE);
    }

    @Test
    void llamaRomeAtTheLastLayer() {
        // At the prompt's last token: at the subject's, the last layer's δ reaches only the KL
        // position, whose gradient on a random model is ~1e-9.
        sameGradients(llama, 3, false, Hooks.NONE, "last");
    }

    @Test
    void llamaRomeOverASpacesHooks() {
        sameGradients(llama, 0, false, IDENTITY);
    }

    @Test
    void llamaMemitResidual() {
        sameGradients(llama, 1, true, Hooks.NONE);
    }

    @Test
    void weightsConvertedInPieces() {
        sameGradients(wide, 0, false, Hooks.NONE);
    }

    @Test
    void gpt2RomeWithTheCachedPrefix() {
        sameGradients(gpt2, 0, false, Hooks.NONE);
    }

    @Test
    void gpt2RomeOverASpacesHooks() {
        sameGradients(gpt2, 0, false, IDENTITY);
    }

    /** At δ = 0 and at a random δ of norm about 1, the two backwards agree to float rounding, and the gradient is not zero. */
    private static void sameGradients(LanguageModel lm, int layer, boolean residual, Hooks hooks) {
        sameGradients(lm, layer, residual, hooks, "subject_last");
    }

    private static void sameGradients(LanguageModel lm, int layer, boolean residual, Hooks hooks, String factToken) {
        RomeHyperParams hp = hp(lm, layer, 8, factToken);
        RomeEditor editor = new RomeEditor(lm, hp, l -> {
            throw new AssertionError("no second moment is needed");
        });
        DeltaOptimiser opt = new DeltaOptimiser(editor, lm, hp, layer, residual);
        ModelView view = new ModelView(lm.baseView().weights(), hooks);
        int d = lm.config().hiddenSize();
        double[] random = new double[d];
        Random rnd = new Random(5);
        for (int i = 0; i < d; i++) {
            random[i] = rnd.nextGaussian() / Math.sqrt(d);
        }
        for (double[] delta : List.of(new double[d], random)) {
            double[] graph = widened(opt.gradient(view, REQUEST, delta, false));
            double[] layerwise = widened(opt.gradient(view, REQUEST, delta, true));
            double norm = norm(graph);
            assertTrue(norm > 1e-6, "the gradient is " + norm + ": the comparison would say nothing");
            double err = diff(graph, layerwise) / norm;
            // Bit-identical where every weight is one piece; with pieces the head's transpose sums
            // over the vocabulary in another order (measured 6e-6 on the wide model).
            assertTrue(err < 5e-5, "layer-wise gradient differs from the graph's by " + err + " (relative)");
        }
    }

    @Test
    void theFittedDeltasAgree() {
        for (int layer : new int[] {0, 2}) {
            double[] graph = fit(llama, layer, "graph");
            double[] layerwise = fit(llama, layer, "layerwise");
            double err = diff(graph, layerwise) / norm(graph);
            assertTrue(norm(graph) > 0);
            assertTrue(err < 1e-4, "layer " + layer + ": δ after 8 steps differs by " + err + " (relative)");
        }
    }

    @Test
    void halfPrecisionWeightsChooseTheLayerwiseBackwardAndABadSettingIsAnError() {
        System.setProperty(DeltaOptimiser.BACKWARD_PROPERTY, "checkpointed");
        try {
            RomeEditor editor = new RomeEditor(llama, hp(llama, 1, 2), l -> null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> editor.fitDelta(llama.baseView(), REQUEST, 1, false));
            assertTrue(e.getMessage().contains("use auto (the default), graph or layerwise"), e.getMessage());
        } finally {
            System.clearProperty(DeltaOptimiser.BACKWARD_PROPERTY);
        }
        // auto: both give the same δ, so which ran is read from the choice itself.
        DeltaOptimiser opt = new DeltaOptimiser(new RomeEditor(llama, hp(llama, 1, 2), l -> null), llama, hp(llama, 1, 2), 1, false);
        assertTrue(opt.layerwise(llama.baseView()));
    }

    private static double[] fit(LanguageModel lm, int layer, String backward) {
        System.setProperty(DeltaOptimiser.BACKWARD_PROPERTY, backward);
        try {
            RomeEditor editor = new RomeEditor(lm, hp(lm, layer, 8), l -> null);
            return editor.fitDelta(lm.baseView(), REQUEST, layer, false).delta();
        } finally {
            System.clearProperty(DeltaOptimiser.BACKWARD_PROPERTY);
        }
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    private static double[] widened(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double diff(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double e = a[i] - b[i];
            s += e * e;
        }
        return Math.sqrt(s);
    }
}
