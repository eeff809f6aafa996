package dev.emend.core.edit;

import com.google.gson.JsonObject;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The selection rule of {@link ModelDefaults} on test files {@code hparams/SEL/*.yaml}, which exist for
 * llama-7b, llama3-8b, llama3.2-3b, qwen2.5-7b, gpt2-xl and gpt-j-6b (not mistral-7b) and mark the
 * chosen file by {@code v_lr}.
 */
class ModelDefaultsTest {
    private static final ClassLoader LOADER = ModelDefaultsTest.class.getClassLoader();

    /** A method like MEMIT: layer bounds from the model's depth, v_loss_layer pinned to the last layer. */
    private static MethodDescriptor sel(int numLayers) {
        double last = numLayers - 1;
        return new MethodDescriptor("SEL", "selection test method", List.of(
                HparamSpec.of("layers", HparamType.INT_LIST, List.of(0), 0.0, last, "edited layers"),
                HparamSpec.of("v_loss_layer", HparamType.INT, numLayers - 1, last, last, "last layer"),
                HparamSpec.of("v_lr", HparamType.FLOAT, 9.0, 0.0, null, "marks the file"),
                HparamSpec.of("inner_params", HparamType.STRING_LIST, List.of("built-in"), null, null, "module")),
                Set.of(EditMode.SINGLE), 1, false, "built-in");
    }

    private static Hparams resolve(String modelName, ModelDefaults.Shape shape) {
        return Hparams.defaults(ModelDefaults.withDefaults(sel(shape.numLayers()), LOADER, modelName, shape));
    }

    @Test
    void llamaShapesAreToldApartByVocabularyAndDepth() {
        ModelDefaults.Shape llama2 = new ModelDefaults.Shape("llama", 32, 4096, 32000);
        ModelDefaults.Shape llama3 = new ModelDefaults.Shape("llama", 32, 4096, 128256);
        ModelDefaults.Shape llama32 = new ModelDefaults.Shape("llama", 28, 3072, 128256);
        assertEquals(0.7, resolve("Llama-2-7b-hf", llama2).getDouble("v_lr"));
        assertEquals(0.8, resolve("Meta-Llama-3-8B", llama3).getDouble("v_lr"));
        assertEquals(0.32, resolve("Llama-3.2-3B", llama32).getDouble("v_lr"));
        ModelDefaults.Choice c = ModelDefaults.choose("SEL", LOADER, "Meta-Llama-3-8B", llama3);
        assertEquals(ModelDefaults.Kind.EXACT, c.kind());
        assertEquals("hparams/SEL/llama3-8b.yaml", c.referenceResource());
        assertTrue(c.baseWhy().startsWith("exact match: llama3-8b"), c.baseWhy());
        assertEquals("hparams/SEL/llama3-8b.yaml",
                ModelDefaults.withDefaults(sel(32), LOADER, "x", llama3).hparamsSource());
    }

    @Test
    void aSixteenLayerLlamaScalesTheNearestReferenceByDepth() {
        // Llama-3.2-1B: 16 layers, hidden 2048, vocab 128256 -> nearest llama3.2-3b (28 layers)
        ModelDefaults.Shape oneB = new ModelDefaults.Shape("llama", 16, 2048, 128256);
        Hparams hp = resolve("Llama-3.2-1B", oneB);
        assertEquals(0.32, hp.getDouble("v_lr"));
        // round(l * 16 / 28) for l = 4..8: 2.29, 2.86, 3.43, 4.0, 4.57 -> 2, 3, 3, 4, 5 -> deduplicated
        assertEquals(List.of(2, 3, 4, 5), hp.getIntList("layers"));
        assertEquals(15, hp.getInt("v_loss_layer"));
        // 27 * 16 / 28 = 15.43 -> 15
        assertEquals(List.of("model.layers[15].mlp.down_proj.weight"), hp.getStringList("inner_params"));
        ModelDefaults.Choice c = ModelDefaults.choose("SEL", LOADER, "Llama-3.2-1B", oneB);
        assertEquals(ModelDefaults.Kind.SCALED, c.kind());
        assertTrue(c.baseWhy().contains("llama3.2-3b") && c.baseWhy().contains("28 -> 16"), c.baseWhy());
        assertEquals("hparams/SEL/llama3.2-3b.yaml (layers scaled 28 -> 16)",
                ModelDefaults.withDefaults(sel(16), LOADER, "x", oneB).hparamsSource());
    }

    @Test
    void scaledLayersAreClampedAndDeduplicated() {
        assertEquals(0, ModelDefaults.scaleLayer(0, 48, 6));
        assertEquals(2, ModelDefaults.scaleLayer(17, 48, 6)); // 2.125
        assertEquals(5, ModelDefaults.scaleLayer(47, 48, 6)); // 5.875 -> 6 -> clamped to 5
        assertEquals(4, ModelDefaults.scaleLayer(7, 32, 18)); // 3.9375
        assertEquals(4, ModelDefaults.scaleLayer(4, 32, 28)); // 3.5 rounds half up
        // gpt2-xl's MEMIT layers 13..17 on a 6-layer GPT-2: 1.6, 1.75, 1.9, 2.0, 2.1 -> [2]
        Hparams hp = resolve("six-layers", new ModelDefaults.Shape("gpt2", 6, 256, 1000));
        assertEquals(List.of(2), hp.getIntList("layers"));
        assertEquals(5, hp.getInt("v_loss_layer"));
        assertEquals(List.of("transformer.h[4].mlp.c_proj.weight"), hp.getStringList("inner_params")); // 4.375
        // a deeper model than the reference: 28 -> 36 layers (Qwen3-8B shape from qwen2.5-7b)
        Hparams deep = resolve("Qwen3-8B", new ModelDefaults.Shape("qwen3", 36, 4096, 151936));
        assertEquals(0.25, deep.getDouble("v_lr"));
        assertEquals(List.of(6), deep.getIntList("layers")); // 5 * 36 / 28 = 6.43
        assertEquals(35, deep.getInt("v_loss_layer"));
        assertEquals(List.of("model.layers[23].mlp.down_proj.weight"), deep.getStringList("inner_params")); // 23.14
    }

    @Test
    void aFamilyWithoutItsOwnFileTakesTheClosestFamilys() {
        // no SEL/mistral-7b.yaml: Mistral 7B (llama's shape) takes llama-7b, same depth, layers unchanged
        ModelDefaults.Shape mistral = new ModelDefaults.Shape("mistral", 32, 4096, 32000);
        ModelDefaults.Choice c = ModelDefaults.choose("SEL", LOADER, "Mistral-7B-v0.1", mistral);
        assertEquals(ModelDefaults.Kind.SCALED, c.kind());
        assertEquals("hparams/SEL/llama-7b.yaml", c.referenceResource());
        assertTrue(c.baseWhy().contains("same depth 32, layers unchanged"), c.baseWhy());
        assertEquals(List.of(4, 5, 6, 7, 8), resolve("m", mistral).getIntList("layers"));
        // GPT-J uses its own file, never GPT-2's (module names differ)
        assertEquals(0.6, resolve("gpt-j", new ModelDefaults.Shape("gptj", 28, 4096, 50400)).getDouble("v_lr"));
        assertEquals(List.of("gptj"), ModelDefaults.closestFamilies("gptj"));
    }

    @Test
    void anUnknownFamilyKeepsTheBuiltInDefaults() {
        MethodDescriptor m = sel(8);
        ModelDefaults.Shape other = new ModelDefaults.Shape("phi3", 8, 512, 32064);
        assertSame(m, ModelDefaults.withDefaults(m, LOADER, "phi", other));
        ModelDefaults.Choice c = ModelDefaults.choose("SEL", LOADER, "phi", other);
        assertEquals(ModelDefaults.Kind.BUILT_IN, c.kind());
        assertTrue(c.baseWhy().contains("no SEL file for family 'phi3'"), c.baseWhy());
    }

    @Test
    void anOverrideFileWinsKeyByKey() {
        ModelDefaults.Shape oneB = new ModelDefaults.Shape("llama", 16, 2048, 128256);
        Hparams hp = resolve("my-llama", oneB);
        assertEquals(0.05, hp.getDouble("v_lr"));
        assertEquals(List.of(2, 3, 4, 5), hp.getIntList("layers"));
        ModelDefaults.Choice c = ModelDefaults.choose("SEL", LOADER, "my-llama", oneB);
        assertEquals(java.util.Optional.of("hparams/SEL/my-llama.yaml"), c.overrideResource());
        assertEquals("override file hparams/SEL/my-llama.yaml sets v_lr; the rest: nearest published model llama3.2-3b"
                + " (llama, 28 layers, hidden 3072, vocab 128256), layers scaled 28 -> 16", c.why(sel(16)));
        assertEquals("hparams/SEL/my-llama.yaml over hparams/SEL/llama3.2-3b.yaml (layers scaled 28 -> 16)",
                ModelDefaults.withDefaults(sel(16), LOADER, "my-llama", oneB).hparamsSource());
        // a directory named like a reference is matched by its config, not taken as an override:
        // a 16-layer model in a folder "llama-7b" must not get llama-7b's unscaled layers
        Hparams named = resolve("llama-7b", oneB);
        assertEquals(List.of(2, 3, 4, 5), named.getIntList("layers"));
        assertFalse(ModelDefaults.choose("SEL", LOADER, "llama-7b", oneB).overrideResource().isPresent());
    }

    @Test
    void anUnscaledFileOnAShallowerModelFailsValidation() {
        // what the scaling prevents: gpt2-xl's layer 17 on a 6-layer model is out of the spec's bounds
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HparamsFiles.withDefaults(
                sel(6), LOADER, "gpt2-xl"));
        assertTrue(e.getMessage().contains("hparams/SEL/gpt2-xl.yaml") && e.getMessage().contains("maximum 5"), e.getMessage());
    }

    @Test
    void shapeComesFromTheCheckpointConfig() {
        JsonObject json = new JsonObject();
        json.addProperty("model_type", "llama");
        json.addProperty("vocab_size", 128256);
        json.addProperty("hidden_size", 2048);
        json.addProperty("intermediate_size", 8192);
        json.addProperty("num_hidden_layers", 16);
        json.addProperty("num_attention_heads", 32);
        json.addProperty("num_key_value_heads", 8);
        json.addProperty("max_position_embeddings", 131072);
        var family = ModelFamilies.forModelType("llama");
        ModelConfig config = family.parseConfig(json);
        assertEquals(new ModelDefaults.Shape("llama", 16, 2048, 128256), ModelDefaults.Shape.of(family.name(), config));
        // GPT-2 XL's config.json numbers (n_layer 48, n_embd 1600, n_head 25, vocab 50257) -> exactly gpt2-xl
        JsonObject xl = new JsonObject();
        xl.addProperty("model_type", "gpt2");
        xl.addProperty("vocab_size", 50257);
        xl.addProperty("n_positions", 1024);
        xl.addProperty("n_embd", 1600);
        xl.addProperty("n_layer", 48);
        xl.addProperty("n_head", 25);
        var gpt2 = ModelFamilies.forModelType("gpt2");
        ModelDefaults.Shape shape = ModelDefaults.Shape.of(gpt2.name(), gpt2.parseConfig(xl));
        ModelDefaults.Choice c = ModelDefaults.choose("SEL", LOADER, "gpt2-xl", shape);
        assertEquals(ModelDefaults.Kind.EXACT, c.kind());
        assertEquals("hparams/SEL/gpt2-xl.yaml", c.referenceResource());
        assertEquals(List.of(13, 14, 15, 16, 17), resolve("gpt2-xl", shape).getIntList("layers"));
    }
}
