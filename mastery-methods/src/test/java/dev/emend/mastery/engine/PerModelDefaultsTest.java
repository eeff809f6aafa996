package dev.emend.mastery.engine;

import dev.emend.core.edit.DefaultsTables;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.TinyCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EasyEdit's per-model defaults for the mastery methods, resolved on configs of the seven models'
 * real shapes (no weights: the selection reads the config only). Every value passes the method's
 * spec validation at the model's depth (ModelDefaults applies the specs' bounds when it loads a file).
 */
class PerModelDefaultsTest {
    private static final ClassLoader LOADER = PerModelDefaultsTest.class.getClassLoader();

    /**
     * The values of EasyEdit's hparams/&lt;METHOD&gt;/&lt;model&gt;.yaml at zjunlp/EasyEdit@14cea824 under Emend's
     * keys (FT-L and FT-M both read EasyEdit's FT file; its norm_constraint false is Emend's 0).
     */
    static final List<String> PUBLISHED = List.of(
            "ROME gpt2-xl layers=[17] fact_token=subject_last v_num_grad_steps=20 v_lr=0.5 v_loss_layer=47 v_weight_decay=0.5 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "ROME gpt-j-6b layers=[5] fact_token=subject_last v_num_grad_steps=20 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.5 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "ROME llama-7b layers=[5] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=31 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "ROME llama3-8b layers=[5] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=31 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "ROME llama3.2-3b layers=[5] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "ROME mistral-7b layers=[5] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=31 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "ROME qwen2.5-7b layers=[5] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "R-ROME gpt2-xl layers=[17] fact_token=subject_last v_num_grad_steps=20 v_lr=0.5 v_loss_layer=47 v_weight_decay=0.5 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "R-ROME gpt-j-6b layers=[5] fact_token=subject_last v_num_grad_steps=20 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.5 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "R-ROME llama-7b layers=[5] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=31 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "R-ROME llama3.2-3b layers=[5] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "R-ROME qwen2.5-7b layers=[5] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=false mom2_n_samples=100000",
            "MEMIT gpt2-xl layers=[13,14,15,16,17] fact_token=subject_last v_num_grad_steps=20 v_lr=0.5 v_loss_layer=47 v_weight_decay=0.5 clamp_norm_factor=0.75 kl_factor=0.0625 mom2_adjustment=true mom2_update_weight=20000 mom2_n_samples=100000",
            "MEMIT gpt-j-6b layers=[3,4,5,6,7,8] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.5 clamp_norm_factor=0.75 kl_factor=0.0625 mom2_adjustment=true mom2_update_weight=15000 mom2_n_samples=100000",
            "MEMIT llama-7b layers=[4,5,6,7,8] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=31 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=true mom2_update_weight=15000 mom2_n_samples=100000",
            "MEMIT llama3.2-3b layers=[4,5,6,7,8] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=true mom2_update_weight=15000 mom2_n_samples=100000",
            "MEMIT mistral-7b layers=[4,5,6,7,8] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=31 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=true mom2_update_weight=15000 mom2_n_samples=100000",
            "MEMIT qwen2.5-7b layers=[4,5,6,7,8] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_adjustment=true mom2_update_weight=15000 mom2_n_samples=100000",
            "AlphaEdit gpt2-xl layers=[13,14,15,16,17] fact_token=subject_last v_num_grad_steps=20 v_lr=0.5 v_loss_layer=47 v_weight_decay=0.5 clamp_norm_factor=0.75 kl_factor=0.0625 mom2_update_weight=20000 mom2_n_samples=100000 nullspace_threshold=0.02 L2=10",
            "AlphaEdit gpt-j-6b layers=[3,4,5,6,7,8] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.5 clamp_norm_factor=0.75 kl_factor=0.0625 mom2_update_weight=15000 mom2_n_samples=100000 nullspace_threshold=0.02 L2=10",
            "AlphaEdit llama3-8b layers=[4,5,6,7,8] fact_token=subject_last v_num_grad_steps=25 v_lr=0.1 v_loss_layer=31 v_weight_decay=0.5 clamp_norm_factor=0.75 kl_factor=0.0625 mom2_update_weight=15000 mom2_n_samples=100000 nullspace_threshold=0.02 L2=1",
            "AlphaEdit qwen2.5-7b layers=[4,5,6,7,8] fact_token=subject_last v_num_grad_steps=25 v_lr=0.5 v_loss_layer=27 v_weight_decay=0.001 clamp_norm_factor=4 kl_factor=0.0625 mom2_update_weight=15000 mom2_n_samples=100000 nullspace_threshold=0.02 L2=1",
            "FT-L gpt2-xl layers=[0] num_steps=25 lr=0.0005 norm_constraint=0.0005 batch_size=3",
            "FT-L gpt-j-6b layers=[21] num_steps=25 lr=0.0005 norm_constraint=0 batch_size=1",
            "FT-L llama-7b layers=[21] num_steps=25 lr=0.0005 norm_constraint=0 batch_size=1",
            "FT-L llama3-8b layers=[21] num_steps=25 lr=0.0005 norm_constraint=0 batch_size=1",
            "FT-L llama3.2-3b layers=[21] num_steps=25 lr=0.0005 norm_constraint=0 batch_size=1",
            "FT-L mistral-7b layers=[21] num_steps=25 lr=0.0005 norm_constraint=5.0e-5 batch_size=1",
            "FT-L qwen2.5-7b layers=[27] num_steps=25 lr=0.0005 norm_constraint=0 batch_size=1",
            "FT-M gpt2-xl layers=[0] num_steps=25 lr=0.0005 batch_size=3",
            "FT-M gpt-j-6b layers=[21] num_steps=25 lr=0.0005 batch_size=1",
            "FT-M llama-7b layers=[21] num_steps=25 lr=0.0005 batch_size=1",
            "FT-M llama3-8b layers=[21] num_steps=25 lr=0.0005 batch_size=1",
            "FT-M llama3.2-3b layers=[21] num_steps=25 lr=0.0005 batch_size=1",
            "FT-M mistral-7b layers=[21] num_steps=25 lr=0.0005 batch_size=1",
            "FT-M qwen2.5-7b layers=[27] num_steps=25 lr=0.0005 batch_size=1"
    );

    @Test
    void everyPublishedFileResolvesToEasyEditsValuesOnItsModelsShape() {
        for (String line : PUBLISHED) {
            DefaultsTables.assertLine(line, MasteryEngine::descriptors, LOADER);
        }
        assertEquals(36, PUBLISHED.size());
    }

    @Test
    void combinationsEasyEditDoesNotPublishTakeTheNearestModel() {
        // R-ROME and MEMIT have no llama3-8b file: llama-7b has the same depth and width
        DefaultsTables.assertLine("R-ROME llama3-8b layers=[5] v_loss_layer=31 v_num_grad_steps=25 v_weight_decay=0.001",
                MasteryEngine::descriptors, LOADER);
        DefaultsTables.assertLine("MEMIT llama3-8b layers=[4,5,6,7,8] v_loss_layer=31 mom2_update_weight=15000 clamp_norm_factor=4",
                MasteryEngine::descriptors, LOADER);
        // no mistral R-ROME / AlphaEdit: the closest family, llama
        DefaultsTables.assertLine("R-ROME mistral-7b layers=[5] v_loss_layer=31 v_lr=0.5", MasteryEngine::descriptors, LOADER);
        DefaultsTables.assertLine("AlphaEdit mistral-7b layers=[4,5,6,7,8] v_lr=0.1 L2=1 nullspace_threshold=0.02",
                MasteryEngine::descriptors, LOADER);
        // AlphaEdit publishes no llama-7b / llama3.2-3b file: llama3-8b, scaled 32 -> 28 for the 3B
        DefaultsTables.assertLine("AlphaEdit llama-7b layers=[4,5,6,7,8] v_loss_layer=31 v_lr=0.1", MasteryEngine::descriptors, LOADER);
        // round(l * 28 / 32) for l = 4..8: 3.5, 4.375, 5.25, 6.125, 7 -> 4, 4, 5, 6, 7
        DefaultsTables.assertLine("AlphaEdit llama3.2-3b layers=[4,5,6,7] v_loss_layer=27 v_lr=0.1", MasteryEngine::descriptors, LOADER);
        ModelDefaults.Choice c = ModelDefaults.choose("AlphaEdit", LOADER, "Llama-3.2-3B", DefaultsTables.shapeOf("llama3.2-3b"));
        assertEquals(ModelDefaults.Kind.SCALED, c.kind());
        assertEquals("hparams/AlphaEdit/llama3-8b.yaml", c.referenceResource());
    }

    @Test
    void aLlama32OneBShapedModelGetsTheThreeBsValuesScaledByDepth() {
        // Llama-3.2-1B: 16 layers, hidden 2048, vocab 128256 -> llama3.2-3b (28 layers), layer l -> round(l * 16 / 28)
        ModelDefaults.Shape oneB = new ModelDefaults.Shape("llama", 16, 2048, 128256);
        List<MethodDescriptor> ms = MasteryEngine.descriptors(16).stream()
                .map(m -> ModelDefaults.withDefaults(m, LOADER, "Llama-3.2-1B", oneB)).toList();
        Hparams rome = Hparams.defaults(MethodDescriptor.find(ms, "ROME").orElseThrow());
        assertEquals(List.of(3), rome.getIntList("layers")); // 5 * 16 / 28 = 2.86
        assertEquals(15, rome.getInt("v_loss_layer"));
        assertEquals(25, rome.getInt("v_num_grad_steps"));
        assertEquals(0.5, rome.getDouble("v_lr"));
        assertEquals(4.0, rome.getDouble("clamp_norm_factor"));
        assertEquals("hparams/ROME/llama3.2-3b.yaml (layers scaled 28 -> 16)",
                MethodDescriptor.find(ms, "ROME").orElseThrow().hparamsSource());
        // 4..8 -> 2.29, 2.86, 3.43, 4.0, 4.57 -> [2, 3, 4, 5]
        assertEquals(List.of(2, 3, 4, 5), Hparams.defaults(MethodDescriptor.find(ms, "MEMIT").orElseThrow()).getIntList("layers"));
        // AlphaEdit from llama3-8b (32 layers): 4..8 -> 2, 2.5, 3, 3.5, 4 -> [2, 3, 4]
        Hparams alpha = Hparams.defaults(MethodDescriptor.find(ms, "AlphaEdit").orElseThrow());
        assertEquals(List.of(2, 3, 4), alpha.getIntList("layers"));
        assertEquals(0.1, alpha.getDouble("v_lr"));
        // 21 * 16 / 28 = 12
        assertEquals(List.of(12), Hparams.defaults(MethodDescriptor.find(ms, "FT-L").orElseThrow()).getIntList("layers"));
    }

    @Test
    void aLoadedCheckpointIsMatchedByItsConfig(@TempDir Path tmp) {
        // a real 2-layer Llama checkpoint (hidden 32): nearest Llama reference by depth is llama3.2-3b (28 layers)
        try (LanguageModel lm = TinyCheckpoints.buildAndLoad(tmp.resolve("tiny-llama"), "llama", 7)) {
            List<MethodDescriptor> ms = MasteryEngine.methodsWithDefaults(lm, "tiny-llama");
            MethodDescriptor rome = MethodDescriptor.find(ms, "ROME").orElseThrow();
            assertEquals("hparams/ROME/llama3.2-3b.yaml (layers scaled 28 -> 2)", rome.hparamsSource());
            assertEquals(List.of(0), Hparams.defaults(rome).getIntList("layers")); // 5 * 2 / 28 = 0.36
            assertEquals(1, Hparams.defaults(rome).getInt("v_loss_layer"));
            // 4..8 * 2 / 28 = 0.29, 0.36, 0.43, 0.5, 0.57 -> 0, 0, 0, 1, 1
            assertEquals(List.of(0, 1), Hparams.defaults(MethodDescriptor.find(ms, "MEMIT").orElseThrow()).getIntList("layers"));
        }
    }

    @Test
    void theDefaultModelKeepsItsOwnFilesExactly() {
        // models/emend-facts: GPT-2, 6 layers, d_model 256, vocab 2048. Its emend-facts.yaml files are
        // override files that set every hparam, so per-model defaults change nothing for it.
        ModelDefaults.Shape shape = new ModelDefaults.Shape("gpt2", 6, 256, 2048);
        DefaultsTables.assertDefaultModelUnchanged(MasteryEngine.descriptors(6), LOADER, shape);
        MethodDescriptor memit = ModelDefaults.withDefaults(MethodDescriptor.find(MasteryEngine.descriptors(6), "MEMIT")
                .orElseThrow(), LOADER, "emend-facts", shape);
        assertEquals(List.of(3, 4), Hparams.defaults(memit).getIntList("layers"));
        assertEquals(100.0, Hparams.defaults(memit).getDouble("mom2_update_weight"));
        // the same shape under another directory name: gpt2-xl's values scaled 48 -> 6 (17 -> 2.125 -> 2)
        MethodDescriptor rome = ModelDefaults.withDefaults(MethodDescriptor.find(MasteryEngine.descriptors(6), "ROME")
                .orElseThrow(), LOADER, "my-gpt2", shape);
        assertEquals(List.of(2), Hparams.defaults(rome).getIntList("layers"));
        assertTrue(rome.hparamsSource().startsWith("hparams/ROME/gpt2-xl.yaml"), rome.hparamsSource());
    }

    @Test
    void theSecondGenerationModelKeepsEasyEditsKeyPositionAndMiddleLayers() {
        // models/emend-facts-2: GPT-2, 8 layers, d_model 160. Its override files change the value
        // step's strength; AlphaEdit edits where the scaled GPT-2 XL file says, ROME, R-ROME and MEMIT
        // at layer 2 (with C; MEMIT with its own lambda: the measured sweeps in their files).
        ModelDefaults.Shape shape = new ModelDefaults.Shape("gpt2", 8, 160, 2048);
        for (String method : List.of("ROME", "R-ROME", "MEMIT", "AlphaEdit")) {
            MethodDescriptor scaled = ModelDefaults.withDefaults(MethodDescriptor.find(MasteryEngine.descriptors(8), method)
                    .orElseThrow(), LOADER, "some-gpt2", shape);
            MethodDescriptor own = ModelDefaults.withDefaults(MethodDescriptor.find(MasteryEngine.descriptors(8), method)
                    .orElseThrow(), LOADER, "emend-facts-2", shape);
            if (method.endsWith("ROME")) {
                assertEquals(List.of(3), Hparams.defaults(scaled).getIntList("layers"), method);
                assertEquals(List.of(2), Hparams.defaults(own).getIntList("layers"), method);
                assertTrue(Hparams.defaults(own).getBool("mom2_adjustment"), method);
            } else if (method.equals("MEMIT")) {
                // the batch-of-100 sweep in its file: layer 2 alone, lambda 300 (keys per context type, 2026-12-08)
                assertEquals(List.of(2, 3), Hparams.defaults(scaled).getIntList("layers"), method);
                assertEquals(List.of(2), Hparams.defaults(own).getIntList("layers"), method);
                assertEquals(300.0, Hparams.defaults(own).getDouble("mom2_update_weight"), method);
            } else {
                assertEquals(Hparams.defaults(scaled).getIntList("layers"), Hparams.defaults(own).getIntList("layers"), method);
            }
            assertEquals("subject_last", Hparams.defaults(own).getString("fact_token"), method);
            assertEquals(1.0, Hparams.defaults(own).getDouble("v_lr"), method);
            assertTrue(own.hparamsSource().contains("emend-facts-2.yaml"), own.hparamsSource());
        }
    }
}
