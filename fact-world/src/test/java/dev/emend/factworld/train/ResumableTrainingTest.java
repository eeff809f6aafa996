package dev.emend.factworld.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run stopped after k steps and resumed from its checkpoint ends with exactly the weights of an
 * uninterrupted run (the tests run PyTorch single-threaded: {@code ai.djl.pytorch.num_threads=1}
 * in the build, which makes every kernel deterministic here), whether it stopped mid-epoch or at
 * an epoch's end, with data drawn afresh each epoch.
 */
class ResumableTrainingTest {
    private static final LmTrainer.Options OPTIONS = new LmTrainer.Options(3, 4, 3e-3f, 1e-4f, 2, 0.01f, 1.0f, 99L, 1000);

    @TempDir
    Path tmp;

    private static DecoderModel model() {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "gpt2");
        c.addProperty("vocab_size", 40);
        c.addProperty("n_layer", 2);
        c.addProperty("n_head", 2);
        c.addProperty("n_embd", 16);
        c.addProperty("n_inner", 32);
        c.addProperty("n_positions", 16);
        c.addProperty("bos_token_id", 39);
        c.addProperty("eos_token_id", 39);
        ModelFamily family = ModelFamilies.forModelType("gpt2");
        return family.create(family.parseConfig(c));
    }

    /** 14 documents per epoch (4 batches, the last short), different every epoch. */
    private static final IntFunction<List<int[]>> DATA = epoch -> {
        Random r = new Random(epoch * 7919L);
        var docs = new ArrayList<int[]>();
        for (int i = 0; i < 14; i++) {
            int[] s = new int[3 + r.nextInt(10)];
            for (int t = 0; t < s.length; t++) {
                s[t] = r.nextInt(39);
            }
            docs.add(s);
        }
        return docs;
    };

    private Map<String, float[]> run(LmTrainer.Checkpointing ck, TrainingCheckpoint resume, boolean expectDone) {
        DecoderModel model = model();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = model.initialise(m, 5L);
            boolean done = new LmTrainer(model, params, m, OPTIONS).train(DATA, p -> { }, ck, resume);
            assertEquals(expectDone, done);
            var out = new LinkedHashMap<String, float[]>();
            params.forEach((k, v) -> out.put(k, v.toFloatArray()));
            return out;
        }
    }

    private static void assertSameWeights(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        a.forEach((k, v) -> assertArrayEquals(v, b.get(k), k));
    }

    @Test
    void stoppedAndResumedRunEqualsAStraightRun() {
        Map<String, float[]> straight = run(null, null, true);
        for (int k : new int[] {6, 8}) { // mid-epoch 2; the end of epoch 2
            Path dir = tmp.resolve("ck" + k);
            Map<String, float[]> stopped = run(new LmTrainer.Checkpointing(dir, 0, 0, k), null, false);
            TrainingCheckpoint state = TrainingCheckpoint.read(dir);
            assertEquals(k, state.step());
            assertEquals(2, state.epoch());
            assertEquals(k == 6 ? 2 : 4, state.batchesDone());
            assertFalse(Arrays.equals(straight.values().iterator().next(), stopped.values().iterator().next()));
            Map<String, float[]> resumed = run(new LmTrainer.Checkpointing(dir, 3, 0, 0), state, true);
            assertSameWeights(straight, resumed);
            assertTrue(TrainingCheckpoint.read(dir).step() > k, "the resumed run wrote later checkpoints");
            assertFalse(Files.exists(dir.resolve("state.tmp")));
        }
    }

    @Test
    void periodicCheckpointsResumeToo() {
        Map<String, float[]> straight = run(null, null, true);
        Path dir = tmp.resolve("every");
        run(new LmTrainer.Checkpointing(dir, 5, 0, 0), null, true);
        TrainingCheckpoint state = TrainingCheckpoint.read(dir);
        assertEquals(10, state.step());
        assertSameWeights(straight, run(null, state, true));
    }

    @Test
    void resumingWithOtherOptionsOrNothingFails() {
        Path dir = tmp.resolve("x");
        run(new LmTrainer.Checkpointing(dir, 0, 0, 3), null, false);
        TrainingCheckpoint state = TrainingCheckpoint.read(dir);
        DecoderModel model = model();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = model.initialise(m, 5L);
            var other = new LmTrainer.Options(4, 4, 3e-3f, 1e-4f, 2, 0.01f, 1.0f, 99L, 1000);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> new LmTrainer(model, params, m, other).train(DATA, p -> { }, null, state));
            assertTrue(e.getMessage().contains("same options"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.read(tmp.resolve("none")));
        assertTrue(e.getMessage().contains("no training checkpoint"), e.getMessage());
        assertNotEquals(0, state.step());
        assertThrows(IllegalArgumentException.class, () -> new LmTrainer.Checkpointing(dir, -1, 0, 0));
    }

    @Test
    void scaledLearningRatesFreezeOrSlowTheNamedParameters() {
        DecoderModel model = model();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = model.initialise(m, 5L);
            Map<String, float[]> before = new LinkedHashMap<>();
            params.forEach((k, v) -> before.put(k, v.toFloatArray()));
            String frozen = "transformer.h.0.mlp.c_fc.weight";
            String slowed = "transformer.h.1.mlp.c_proj.weight";
            assertTrue(params.containsKey(frozen) && params.containsKey(slowed), params.keySet().toString());
            LmTrainer t = new LmTrainer(model, params, m, OPTIONS);
            t.scaleLearningRates(Map.of(frozen, 0.0, slowed, 0.01));
            t.train(DATA, p -> { });
            assertArrayEquals(before.get(frozen), params.get(frozen).toFloatArray(), "a factor of 0 keeps the initial value");
            double slowMove = moved(before.get(slowed), params.get(slowed).toFloatArray());
            double fullMove = moved(before.get("transformer.h.1.mlp.c_fc.weight"), params.get("transformer.h.1.mlp.c_fc.weight").toFloatArray());
            assertTrue(slowMove > 0 && slowMove < fullMove / 20, slowMove + " vs " + fullMove);
            assertThrows(IllegalArgumentException.class, () -> t.scaleLearningRates(Map.of("nope", 0.5)));
            assertThrows(IllegalArgumentException.class, () -> t.scaleLearningRates(Map.of(frozen, 1.5)));
        }
    }

    private static double moved(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void aWiderMlpIsKeptInTheSavedSpecAndOlderSpecsMeanGpt2sWidth() {
        FactModelBuilder.Spec d = FactModelBuilder.Spec.defaults();
        FactModelBuilder.Spec wide = new FactModelBuilder.Spec(1L, 2048, 8, 160, 4, 128, d.training(), 1, null, 2, "default",
                null, 10.0, "0-1,5-7", 0.0, 1280);
        JsonObject json = FactModelBuilder.specJson(wide);
        assertEquals(1280, json.get("mlp_width").getAsInt());
        FactModelBuilder.Spec back = FactModelBuilder.specFromJson(json);
        assertEquals(wide, back);
        assertEquals(1280, back.innerWidth());
        // a spec saved before the option existed (no mlp_width) is GPT-2's 4 × hidden, and writes no field
        json.remove("mlp_width");
        FactModelBuilder.Spec old = FactModelBuilder.specFromJson(json);
        assertEquals(640, old.innerWidth());
        assertFalse(FactModelBuilder.specJson(old).has("mlp_width"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FactModelBuilder.Spec(1L, 2048, 8, 160, 4,
                128, d.training(), 1, null, 2, "default", null, 10.0, "", 1.0, -5));
        assertTrue(e.getMessage().contains("MLP width"), e.getMessage());
    }

    @Test
    void slowMlpLayerListsAreParsedAndCheckedAgainstTheDepth() {
        assertEquals(java.util.List.of(0, 1, 5, 6, 7), new java.util.ArrayList<>(FactModelBuilder.Spec.layerSet("0-1, 5-7", 8)));
        assertEquals(java.util.List.of(3), new java.util.ArrayList<>(FactModelBuilder.Spec.layerSet("3", 8)));
        assertTrue(FactModelBuilder.Spec.layerSet("", 8).isEmpty());
        for (String bad : new String[] {"8", "2-1", "a", "1-2-3", "-1", "0,"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> FactModelBuilder.Spec.layerSet(bad, 8), bad);
            assertTrue(e.getMessage().contains("0..7"), e.getMessage());
        }
    }
}
