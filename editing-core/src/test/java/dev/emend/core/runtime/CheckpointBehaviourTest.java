package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.BaseWeights;
import dev.emend.core.model.CheckpointException;
import dev.emend.core.model.ContextLengthException;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.Hooks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Save/load round trips, fingerprints, and the messages a user sees for a bad checkpoint or input. */
class CheckpointBehaviourTest {
    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ 5. round trip

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void saveThenLoadGivesIdenticalWeightsAndLogits(String family) {
        Path dir = tmp.resolve(family);
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.Built built = TinyCheckpoints.build(dir, family, 31, m);
            try (LanguageModel lm = Checkpoints.load(dir)) {
                assertEquals(built.config().modelType(), lm.config().modelType());
                assertEquals(built.config().hiddenSize(), lm.config().hiddenSize());
                assertEquals(built.config().numKvHeads(), lm.config().numKvHeads());
                assertEquals(built.config().tieWordEmbeddings(), lm.config().tieWordEmbeddings());
                assertEquals(built.config().ropeTheta(), lm.config().ropeTheta());
                assertEquals(built.params().keySet(), lm.weights().names());
                for (Map.Entry<String, NDArray> e : built.params().entrySet()) {
                    NDArray loaded = lm.weights().get(e.getKey());
                    assertEquals(e.getValue().getShape(), loaded.getShape(), e.getKey());
                    assertArrayEquals(e.getValue().toFloatArray(), loaded.toFloatArray(), 0f, e.getKey());
                }
                ModelView inMemory = new ModelView(new BaseWeights(built.params()), Hooks.NONE);
                long[] a = lm.tokenizer().encodeLong("The capital of Italy is Rome.");
                long[] b = lm.tokenizer().encodeLong("Oslo is the largest city in Norway, and people live in Oslo");
                ForwardInput single = ForwardInput.of(a);
                assertArrayEquals(lm.logits(inMemory, single), lm.logits(lm.baseView(), single), 0f);
                int len = Math.max(a.length, b.length);
                ForwardInput batch = new ForwardInput(
                        new long[][] {java.util.Arrays.copyOf(a, len), java.util.Arrays.copyOf(b, len)},
                        new int[][] {maskOf(a.length, len), maskOf(b.length, len)});
                assertArrayEquals(lm.logits(inMemory, batch), lm.logits(lm.baseView(), batch), 0f);
            }
        }
    }

    private static int[] maskOf(int real, int len) {
        int[] m = new int[len];
        java.util.Arrays.fill(m, 0, Math.min(real, len), 1);
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void fingerprintIsStableAndTracksWeights(String family) throws IOException {
        Path dir = tmp.resolve(family);
        Path changed = tmp.resolve(family + "-changed");
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.Built built = TinyCheckpoints.build(dir, family, 41, m);
            String first;
            try (LanguageModel a = Checkpoints.load(dir)) {
                first = a.fingerprint();
            }
            try (LanguageModel b = Checkpoints.load(dir)) {
                assertEquals(first, b.fingerprint(), "two loads of one checkpoint");
            }
            assertEquals(first, Checkpoints.fingerprint(dir));
            Map<String, NDArray> params = new LinkedHashMap<>(built.params());
            String name = built.model().mlpDown(1).weight();
            float[] data = params.get(name).toFloatArray();
            data[data.length / 2] += 1e-3f;
            params.put(name, m.create(data, params.get(name).getShape()));
            Checkpoints.save(changed, built.family(), built.config(), params, dir.resolve("tokenizer.json"));
            try (LanguageModel c = Checkpoints.load(changed)) {
                assertNotEquals(first, c.fingerprint(), "one changed weight must change the fingerprint");
            }
        }
    }

    // ------------------------------------------------------------------ 8. bad input

    private Path good(String family) {
        Path dir = tmp.resolve("ckpt-" + family);
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.build(dir, family, 51, m);
        }
        return dir;
    }

    @Test
    void missingConfigIsNamed() throws IOException {
        Path dir = good("gpt2");
        Files.delete(dir.resolve("config.json"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(dir));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void missingDirectoryIsNamed() {
        Path dir = tmp.resolve("nowhere");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(dir));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void corruptConfigIsNamed() throws IOException {
        Path dir = good("gpt2");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\", \"n_embd\": 32,");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("not a valid JSON"), e.getMessage());
    }

    @Test
    void unknownModelTypeIsNamedWithTheSupportedOnes() throws IOException {
        Path dir = good("gpt2");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": 32}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(dir));
        assertTrue(e.getMessage().contains("config.json: unknown model_type 'bert'"), e.getMessage());
        assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("llama"), e.getMessage());
    }

    @Test
    void missingRequiredFieldIsNamed() throws IOException {
        Path dir = good("llama");
        String cfg = Files.readString(dir.resolve("config.json")).replaceAll("\"intermediate_size\":\\s*\\d+,", "");
        Files.writeString(dir.resolve("config.json"), cfg);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("intermediate_size"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void tensorOfTheWrongShapeIsNamedWithBothShapes(String family) throws IOException {
        Path dir = tmp.resolve("shape-" + family);
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.Built built = TinyCheckpoints.build(dir, family, 61, m);
            Map<String, NDArray> params = new LinkedHashMap<>(built.params());
            String name = family.equals("gpt2") ? "transformer.h.1.ln_2.weight" : "model.layers.1.post_attention_layernorm.weight";
            params.put(name, m.ones(new Shape(16)));
            Checkpoints.save(dir, built.family(), built.config(), params, null);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(dir));
        String msg = e.getMessage();
        assertTrue(msg.contains("model.safetensors"), msg);
        assertTrue(msg.contains("'" + (family.equals("gpt2") ? "transformer.h.1.ln_2.weight" : "model.layers.1.post_attention_layernorm.weight") + "'"), msg);
        assertTrue(msg.contains("(16)") && msg.contains("(32)") && msg.contains("config.json"), msg);
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path dir = tmp.resolve("missing-tensor");
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.Built built = TinyCheckpoints.build(dir, "llama", 62, m);
            Map<String, NDArray> params = new LinkedHashMap<>(built.params());
            params.remove("lm_head.weight"); // untied head: must be present
            Checkpoints.save(dir, built.family(), built.config(), params, null);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(dir));
        assertTrue(e.getMessage().contains("'lm_head.weight'"), e.getMessage());
    }

    @Test
    void missingTokenizerIsNamed() throws IOException {
        Path dir = good("llama");
        Files.delete(dir.resolve("tokenizer.json"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }

    @Test
    void tooLongInputsAndEmptyTargetsAreRejectedClearly() {
        try (LanguageModel lm = Checkpoints.load(good("gpt2"))) {
            String longPrompt = "The capital of France is Paris. ".repeat(20);
            assertTrue(lm.tokenizer().encode(longPrompt).length > TinyCheckpoints.CONTEXT);
            ContextLengthException score = assertThrows(ContextLengthException.class,
                    () -> lm.score(lm.baseView(), longPrompt, "Paris"));
            assertEquals(TinyCheckpoints.CONTEXT, score.limit());
            assertTrue(score.tokens() > TinyCheckpoints.CONTEXT);
            assertTrue(score.getMessage().contains(String.valueOf(TinyCheckpoints.CONTEXT)), score.getMessage());
            assertThrows(ContextLengthException.class,
                    () -> lm.generate(lm.baseView(), longPrompt, GenerationOptions.greedy(3)));
            assertThrows(ContextLengthException.class, () -> lm.embed(lm.baseView(), longPrompt));
            long[] tooMany = new long[TinyCheckpoints.CONTEXT + 1];
            assertThrows(ContextLengthException.class, () -> lm.logits(lm.baseView(), ForwardInput.of(tooMany)));

            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                    () -> lm.score(lm.baseView(), "The capital of France is", ""));
            assertTrue(empty.getMessage().contains("target"), empty.getMessage());
            assertFalse(empty instanceof ContextLengthException);
            IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
                    () -> lm.score(lm.baseView(), "The capital of France is", "   "));
            assertTrue(blank.getMessage().contains("target"), blank.getMessage());
            IllegalArgumentException noPrompt = assertThrows(IllegalArgumentException.class,
                    () -> lm.score(lm.baseView(), "", "Paris"));
            assertTrue(noPrompt.getMessage().contains("prompt"), noPrompt.getMessage());
            // The model still works after rejecting bad input.
            assertTrue(lm.score(lm.baseView(), "The capital of France is", "Paris").targetIds().length > 0);
        }
    }
}
