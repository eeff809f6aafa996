package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.model.CheckpointException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Family selection, the refusal of unused tensors and unsupported options, and the family's module names. */
class FamiliesTest {
    @TempDir
    Path tmp;

    private Path build(String family, long seed) {
        Path dir = tmp.resolve(family + "-" + seed);
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.build(dir, family, seed, m);
        }
        return dir;
    }

    private static void editConfig(Path dir, Consumer<JsonObject> edit) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        edit.accept(o);
        Files.writeString(dir.resolve("config.json"), o.toString());
    }

    private static JsonArray arch(String name) {
        JsonArray a = new JsonArray();
        a.add(name);
        return a;
    }

    private static CheckpointException refused(Path dir) {
        return assertThrows(CheckpointException.class, () -> Checkpoints.load(dir).close());
    }

    // ------------------------------------------------------------------ every family round-trips

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void everyFamilySavesAndLoadsWithItsArchitectureAndSameLogits(String family) {
        Path dir = tmp.resolve(family);
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.Built built = TinyCheckpoints.build(dir, family, 71, m);
            try (LanguageModel lm = Checkpoints.load(dir)) {
                assertEquals(family, lm.family().name());
                assertEquals(built.config().headDim(), lm.config().headDim());
                assertEquals(built.config().options(), lm.config().options());
                assertEquals(built.params().keySet(), lm.weights().names());
                JsonObject saved = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
                assertEquals(built.family().architectures().get(0), saved.getAsJsonArray("architectures").get(0).getAsString());
                ModelView inMemory = new ModelView(new dev.emend.core.model.BaseWeights(built.params()), dev.emend.core.model.Hooks.NONE);
                ForwardInput in = ForwardInput.of(lm.tokenizer().encodeLong("The capital of Italy is Rome."));
                assertArrayEquals(lm.logits(inMemory, in), lm.logits(lm.baseView(), in), 0f);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    void qwen3HeadWidthIsItsOwnAndQwen2HasBiasesWithoutOutputBias() {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.Built q3 = TinyCheckpoints.build(tmp.resolve("q3"), "qwen3", 3, m);
            assertEquals(16, q3.config().headDim());
            assertEquals(8, q3.config().hiddenSize() / q3.config().numHeads());
            assertEquals(new Shape(4 * 16, 32), q3.params().get("model.layers.0.self_attn.q_proj.weight").getShape());
            assertEquals(new Shape(16), q3.params().get("model.layers.1.self_attn.k_norm.weight").getShape());
            TinyCheckpoints.Built q2 = TinyCheckpoints.build(tmp.resolve("q2"), "qwen2", 3, m);
            assertTrue(q2.params().containsKey("model.layers.0.self_attn.v_proj.bias"));
            assertFalse(q2.params().containsKey("model.layers.0.self_attn.o_proj.bias"));
            TinyCheckpoints.Built j = TinyCheckpoints.build(tmp.resolve("j"), "gptj", 3, m);
            assertTrue(j.params().containsKey("lm_head.bias"));
        }
    }

    // ------------------------------------------------------------------ selection by architectures

    @Test
    void unsupportedArchitecturesIsNamedWithTheSupportedOnes() throws IOException {
        Path dir = build("llama", 1);
        editConfig(dir, o -> o.add("architectures", arch("MixtralForCausalLM")));
        String msg = refused(dir).getMessage();
        assertTrue(msg.contains("config.json") && msg.contains("'MixtralForCausalLM' is not supported"), msg);
        for (String a : new String[] {"GPT2LMHeadModel", "GPTJForCausalLM", "LlamaForCausalLM", "MistralForCausalLM",
            "Qwen2ForCausalLM", "Qwen3ForCausalLM"}) {
            assertTrue(msg.contains(a), msg);
        }
    }

    @Test
    void architecturesDisagreeingWithModelTypeIsRefused() throws IOException {
        Path dir = build("qwen2", 2);
        editConfig(dir, o -> o.addProperty("model_type", "llama"));
        String msg = refused(dir).getMessage();
        assertTrue(msg.contains("Qwen2ForCausalLM") && msg.contains("model_type is 'llama'"), msg);
    }

    @Test
    void qwen2RelabelledAsLlamaIsRefusedNamingTheUnusedBias() throws IOException {
        Path dir = build("qwen2", 3);
        editConfig(dir, o -> {
            o.addProperty("model_type", "llama");
            o.add("architectures", arch("LlamaForCausalLM"));
        });
        String msg = refused(dir).getMessage();
        assertTrue(msg.contains("'model.layers.0.self_attn.q_proj.bias'"), msg);
        assertTrue(msg.contains("does not use"), msg);
    }

    @Test
    void qwen3RelabelledAsQwen2IsRefusedNamingTheQkNorm() throws IOException {
        Path dir = build("qwen3", 4);
        editConfig(dir, o -> {
            o.addProperty("model_type", "qwen2");
            o.add("architectures", arch("Qwen2ForCausalLM"));
        });
        // Qwen2 expects q/k/v biases and hidden/heads-wide heads: the first mismatch is reported, by name.
        String msg = refused(dir).getMessage();
        assertTrue(msg.contains("q_norm") || msg.contains("q_proj"), msg);
    }

    @Test
    void unknownExtraTensorIsAnErrorButHuggingFaceBuffersAreOnlyWarnings() throws IOException {
        Path extra = tmp.resolve("extra");
        Path buffers = tmp.resolve("buffers");
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.Built built = TinyCheckpoints.build(extra, "llama", 5, m);
            Map<String, NDArray> params = new LinkedHashMap<>(built.params());
            params.put("model.layers.1.mlp.adapter.weight", m.ones(new Shape(4, 4)));
            Checkpoints.save(extra, built.family(), built.config(), params, null);
            Map<String, NDArray> withBuffers = new LinkedHashMap<>(built.params());
            withBuffers.put("model.layers.0.self_attn.rotary_emb.inv_freq", m.ones(new Shape(4)));
            Checkpoints.save(buffers, built.family(), built.config(), withBuffers, extra.resolve("tokenizer.json"));
        }
        String msg = refused(extra).getMessage();
        assertTrue(msg.contains("'model.layers.1.mlp.adapter.weight'") && msg.contains("1 tensor(s)"), msg);
        try (LanguageModel lm = Checkpoints.load(buffers)) {
            assertFalse(lm.weights().has("model.layers.0.self_attn.rotary_emb.inv_freq"));
        }
    }

    @Test
    void gpt2AttentionMaskBuffersAreIgnoredLikeHuggingFace() throws IOException {
        Path dir = tmp.resolve("gpt2-buffers");
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.Built built = TinyCheckpoints.build(dir, "gpt2", 6, m);
            Map<String, NDArray> params = new LinkedHashMap<>(built.params());
            params.put("transformer.h.0.attn.bias", m.ones(new Shape(1, 1, 8, 8)));
            params.put("transformer.h.0.attn.masked_bias", m.ones(new Shape(1)));
            Checkpoints.save(dir, built.family(), built.config(), params, null);
        }
        Checkpoints.load(dir).close();
    }

    // ------------------------------------------------------------------ unsupported options

    @Test
    void unsupportedOptionsAreRefusedNamingTheField() throws IOException {
        Map<String, Consumer<JsonObject>> cases = new LinkedHashMap<>();
        cases.put("qwen2:use_sliding_window", o -> o.addProperty("use_sliding_window", true));
        cases.put("llama:rope_scaling.rope_type", o -> {
            JsonObject rs = new JsonObject();
            rs.addProperty("rope_type", "yarn");
            rs.addProperty("factor", 4.0);
            o.add("rope_scaling", rs);
        });
        cases.put("mistral:hidden_act", o -> o.addProperty("hidden_act", "gelu"));
        cases.put("gptj:activation_function", o -> o.addProperty("activation_function", "relu"));
        cases.put("gptj:rotary_dim", o -> o.addProperty("rotary_dim", 3));
        cases.put("llama:mlp_bias", o -> o.addProperty("mlp_bias", true));
        long seed = 20;
        for (Map.Entry<String, Consumer<JsonObject>> c : cases.entrySet()) {
            String family = c.getKey().split(":")[0];
            String field = c.getKey().split(":")[1];
            Path dir = build(family, seed++);
            editConfig(dir, c.getValue());
            String msg = refused(dir).getMessage();
            assertTrue(msg.contains(dir.resolve("config.json").toString()) && msg.contains("'" + field + "'"),
                    c.getKey() + ": " + msg);
        }
    }

    // ------------------------------------------------------------------ module names

    private static DecoderModel model(String family) {
        ModelFamily f = ModelFamilies.forModelType(family);
        ModelConfig c = f.parseConfig(TinyCheckpoints.config(family, 300));
        return f.create(c);
    }

    @Test
    void moduleNamesAreTheHuggingFaceOnesAndResolveBack() {
        DecoderModel gpt2 = model("gpt2");
        assertEquals("transformer.h.1.mlp.c_proj", gpt2.moduleName(1, Projection.MLP_DOWN));
        assertEquals("transformer.h.1.attn.c_proj", gpt2.moduleName(1, Projection.ATTN_OUT));
        assertEquals(new ModuleRef(1, Projection.MLP_DOWN), gpt2.resolveModule("transformer.h[1].mlp.c_proj.weight"));
        assertEquals(new ModuleRef(-1, Projection.MLP_DOWN), gpt2.resolveModule("c_proj"));
        assertEquals(new ModuleRef(-1, Projection.ATTN_OUT), gpt2.resolveModule("attn.c_proj"));
        assertEquals(new ModuleRef(-1, Projection.MLP_UP), gpt2.resolveModule("c_fc"));
        assertEquals("c_proj", gpt2.shortModuleName(Projection.MLP_DOWN));
        assertEquals("transformer.wte.weight", gpt2.tokenEmbeddingName());
        assertEquals("transformer.ln_f", gpt2.finalNormModule());
        assertEquals("transformer.wte.weight", gpt2.lmHeadWeightName());

        DecoderModel llama = model("llama");
        assertEquals("model.layers.1.mlp.down_proj", llama.moduleName(1, Projection.MLP_DOWN));
        assertEquals(new ModuleRef(1, Projection.MLP_DOWN), llama.resolveModule("model.layers[1].mlp.down_proj.weight"));
        assertEquals(new ModuleRef(0, Projection.ATTN_Q), llama.resolveModule("model.layers.0.self_attn.q_proj"));
        assertEquals(new ModuleRef(-1, Projection.MLP_GATE), llama.resolveModule("gate_proj"));
        assertEquals("down_proj", llama.shortModuleName(Projection.MLP_DOWN));
        assertEquals("lm_head.weight", llama.lmHeadWeightName());
        assertEquals("model.norm", llama.finalNormModule());

        DecoderModel gptj = model("gptj");
        assertEquals("transformer.h.0.mlp.fc_out", gptj.moduleName(0, Projection.MLP_DOWN));
        assertEquals(new ModuleRef(-1, Projection.ATTN_OUT), gptj.resolveModule("out_proj"));
        assertEquals(new ModuleRef(-1, Projection.MLP_UP), gptj.resolveModule("fc_in"));

        IllegalArgumentException wrongFamily = assertThrows(IllegalArgumentException.class, () -> llama.resolveModule("c_proj"));
        assertTrue(wrongFamily.getMessage().contains("down_proj") && wrongFamily.getMessage().contains("q_proj"),
                wrongFamily.getMessage());
        IllegalArgumentException noLayer = assertThrows(IllegalArgumentException.class,
                () -> llama.resolveModule("model.layers.2.mlp.down_proj"));
        assertTrue(noLayer.getMessage().contains("0..1"), noLayer.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gpt2.resolveModule("model.layers.0.mlp.down_proj"));
    }

    @Test
    void bosByDefaultFollowsTheFamily() {
        for (ModelFamily f : ModelFamilies.all()) {
            assertEquals(f.name().equals("llama") || f.name().equals("mistral"), f.addsBosByDefault(), f.name());
        }
    }
}
