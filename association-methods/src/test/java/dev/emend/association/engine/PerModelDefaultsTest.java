package dev.emend.association.engine;

import dev.emend.association.DefaultModel;
import dev.emend.core.edit.DefaultsTables;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EasyEdit's per-model defaults for GRACE, WISE, LoRA and AdaLoRA, resolved on configs of the seven models'
 * real shapes (the descriptors' specs do not depend on depth, so the default model's serve for all).
 */
class PerModelDefaultsTest {
    private static final ClassLoader LOADER = PerModelDefaultsTest.class.getClassLoader();

    /**
     * The values of EasyEdit's hparams/&lt;METHOD&gt;/&lt;model&gt;.yaml at zjunlp/EasyEdit@14cea824 under Emend's
     * keys (GPT-2 XL's GRACE and WISE wrap the up-projection c_fc, as published); EasyEdit's gpt2-xl LoRA file (lora_type adalora) is given to
     * both LoRA (plain, same rank) and AdaLoRA (with PEFT's AdaLoraConfig defaults, which EasyEdit gets).
     */
    static final List<String> PUBLISHED = List.of(
            "GRACE gpt2-xl inner_params=[transformer.h[35].mlp.c_fc.weight] edit_lr=1.0 n_iter=200 eps=1.0 dist_fn=euc val_init=cold replacement=replace_last eps_expand=coverage",
            "GRACE gpt-j-6b inner_params=[transformer.h[25].mlp.fc_out.weight] edit_lr=1.0 n_iter=200 eps=1.0 dist_fn=euc val_init=cold replacement=replace_last eps_expand=coverage",
            "GRACE llama-7b inner_params=[model.layers[27].mlp.down_proj.weight] edit_lr=1.0 n_iter=50 eps=1.0 dist_fn=euc val_init=cold replacement=replace_last eps_expand=coverage",
            "GRACE llama3.2-3b inner_params=[model.layers[27].mlp.down_proj.weight] edit_lr=1.0 n_iter=50 eps=1.0 dist_fn=euc val_init=cold replacement=replace_last eps_expand=coverage",
            "GRACE qwen2.5-7b inner_params=[model.layers[18].mlp.down_proj.weight] edit_lr=1.0 n_iter=50 eps=1.0 dist_fn=euc val_init=cold replacement=replace_last eps_expand=coverage",
            "WISE gpt2-xl inner_params=[transformer.h[8].mlp.c_fc.weight] edit_lr=1.0 n_iter=40 mask_ratio=0.2 norm_constraint=1.0 act_margin=[5.0,20.0,10.0] act_ratio=0.8 save_freq=500 merge_freq=1000 merge_alg=ties densities=0.53 weights=1.0 retrieve=true objective_optimization=only_label",
            "WISE gpt-j-6b inner_params=[transformer.h[21].mlp.fc_out.weight] edit_lr=1.0 n_iter=70 mask_ratio=0.2 norm_constraint=1.0 act_margin=[15.0,40.0,20.0] act_ratio=0.88 save_freq=500 merge_freq=1000 merge_alg=ties densities=0.53 weights=1.0 retrieve=true objective_optimization=only_label",
            "WISE llama-7b inner_params=[model.layers[27].mlp.down_proj.weight] edit_lr=1.0 n_iter=70 mask_ratio=0.2 norm_constraint=1.0 act_margin=[5.0,20.0,10.0] act_ratio=0.88 save_freq=500 merge_freq=1000 merge_alg=ties densities=0.53 weights=1.0 retrieve=true objective_optimization=only_label",
            "WISE llama3-8b inner_params=[model.layers[29].mlp.down_proj.weight] edit_lr=0.9 n_iter=30 mask_ratio=0.2 norm_constraint=1.0 act_margin=[2.0,20.0,10.0] act_ratio=0.5 save_freq=500 merge_freq=1000 merge_alg=ties densities=0.53 weights=1.0 retrieve=true objective_optimization=only_label",
            "WISE llama3.2-3b inner_params=[model.layers[27].mlp.down_proj.weight] edit_lr=1.0 n_iter=70 mask_ratio=0.2 norm_constraint=1.0 act_margin=[5.0,20.0,10.0] act_ratio=0.88 save_freq=500 merge_freq=1000 merge_alg=ties densities=0.53 weights=1.0 retrieve=true objective_optimization=only_label",
            "WISE mistral-7b inner_params=[model.layers[27].mlp.down_proj.weight] edit_lr=1.0 n_iter=70 mask_ratio=0.2 norm_constraint=1.0 act_margin=[5.0,20.0,10.0] act_ratio=0.88 save_freq=500 merge_freq=1000 merge_alg=ties densities=0.53 weights=1.0 retrieve=true objective_optimization=only_label",
            "WISE qwen2.5-7b inner_params=[model.layers[23].mlp.down_proj.weight] edit_lr=1.0 n_iter=70 mask_ratio=0.2 norm_constraint=1.0 act_margin=[5.0,20.0,10.0] act_ratio=0.88 save_freq=500 merge_freq=1000 merge_alg=ties densities=0.53 weights=1.0 retrieve=true objective_optimization=only_label",
            "LoRA gpt2-xl lora_type=lora layers=[] target_modules=[c_attn] rank=8 lora_alpha=32 lr=0.005 num_steps=30",
            "LoRA gpt-j-6b lora_type=lora layers=[] target_modules=[fc_in,fc_out] rank=8 lora_alpha=32 lr=0.005 num_steps=50",
            "LoRA llama-7b lora_type=lora layers=[] target_modules=[q_proj,v_proj] rank=8 lora_alpha=32 lr=0.005 num_steps=70",
            "LoRA llama3-8b lora_type=lora layers=[] target_modules=[q_proj,v_proj] rank=8 lora_alpha=32 lr=0.005 num_steps=70",
            "LoRA llama3.2-3b lora_type=lora layers=[] target_modules=[q_proj,v_proj] rank=8 lora_alpha=32 lr=0.005 num_steps=70",
            "LoRA qwen2.5-7b lora_type=lora layers=[] target_modules=[q_proj,v_proj] rank=8 lora_alpha=32 lr=0.005 num_steps=60",
            "AdaLoRA gpt2-xl layers=[] target_modules=[c_attn] init_r=12 target_r=8 tinit=0 tfinal=0 deltaT=1 beta1=0.85 beta2=0.85 orth_reg_weight=0.5 lora_alpha=32 lr=0.005 num_steps=30"
    );

    private static List<MethodDescriptor> descriptors(int numLayers) {
        return AssociationEngine.descriptors(DefaultModel.get());
    }

    @Test
    void everyPublishedFileResolvesToEasyEditsValuesOnItsModelsShape() {
        for (String line : PUBLISHED) {
            Hparams hp = DefaultsTables.assertLine(line, PerModelDefaultsTest::descriptors, LOADER);
            if (hp.has("inner_params")) {
                // the module's layer exists at the model's depth (its name is the family's: the engine's
                // InnerParams resolves it when an edit runs)
                int layer = Integer.parseInt(hp.getStringList("inner_params").get(0).replaceAll(".*\\[(\\d+)].*", "$1"));
                assertTrue(layer < DefaultsTables.shapeOf(line.split(" ")[1]).numLayers(), line);
            }
        }
        assertEquals(19, PUBLISHED.size());
    }

    @Test
    void combinationsEasyEditDoesNotPublishTakeTheNearestModel() {
        // GRACE has no llama3-8b or mistral-7b file, LoRA no mistral-7b file: llama-7b (same depth and width)
        DefaultsTables.assertLine("GRACE llama3-8b inner_params=[model.layers[27].mlp.down_proj.weight] n_iter=50",
                PerModelDefaultsTest::descriptors, LOADER);
        DefaultsTables.assertLine("GRACE mistral-7b inner_params=[model.layers[27].mlp.down_proj.weight] n_iter=50",
                PerModelDefaultsTest::descriptors, LOADER);
        DefaultsTables.assertLine("LoRA mistral-7b target_modules=[q_proj,v_proj] num_steps=70 layers=[]",
                PerModelDefaultsTest::descriptors, LOADER);
        // a Llama-3.2-1B shape: llama3.2-3b's layer 27 of 28 -> round(27 * 16 / 28) = 15, the last layer
        ModelDefaults.Shape oneB = new ModelDefaults.Shape("llama", 16, 2048, 128256);
        MethodDescriptor wise = ModelDefaults.withDefaults(MethodDescriptor.find(descriptors(16), "WISE").orElseThrow(),
                LOADER, "Llama-3.2-1B", oneB);
        assertEquals(List.of("model.layers[15].mlp.down_proj.weight"), Hparams.defaults(wise).getStringList("inner_params"));
        assertEquals(70, Hparams.defaults(wise).getInt("n_iter"));
        assertEquals("hparams/WISE/llama3.2-3b.yaml (layers scaled 28 -> 16)", wise.hparamsSource());
        // Qwen3 (no EasyEdit file) starts at Qwen2.5: Qwen3-8B's 36 layers, WISE layer 23 of 28 -> 29.57 -> 30
        MethodDescriptor qwen3 = ModelDefaults.withDefaults(MethodDescriptor.find(descriptors(36), "WISE").orElseThrow(),
                LOADER, "Qwen3-8B", new ModelDefaults.Shape("qwen3", 36, 4096, 151936));
        assertEquals(List.of("model.layers[30].mlp.down_proj.weight"), Hparams.defaults(qwen3).getStringList("inner_params"));
    }

    @Test
    void theSecondGenerationModelsWiseKeepsItsShardsApartForAThousandEdits() {
        // models/emend-facts-2: its WISE file moves the side memory to layer 4's down-projection, opens 0.4 of it per
        // shard, saves a shard every 250 edits and merges past 1,000 edits (the measured runs in the file);
        // everything else is the scaled GPT-2 XL file's
        ModelDefaults.Shape shape = new ModelDefaults.Shape("gpt2", 8, 160, 2048);
        MethodDescriptor own = ModelDefaults.withDefaults(MethodDescriptor.find(descriptors(8), "WISE").orElseThrow(),
                LOADER, "emend-facts-2", shape);
        MethodDescriptor scaled = ModelDefaults.withDefaults(MethodDescriptor.find(descriptors(8), "WISE").orElseThrow(),
                LOADER, "some-gpt2", shape);
        assertEquals(List.of("transformer.h[4].mlp.c_proj.weight"), Hparams.defaults(own).getStringList("inner_params"));
        assertEquals(List.of("transformer.h[1].mlp.c_fc.weight"), Hparams.defaults(scaled).getStringList("inner_params"));
        assertEquals(2000, Hparams.defaults(own).getInt("merge_freq"));
        assertEquals(1000, Hparams.defaults(scaled).getInt("merge_freq"));
        assertEquals(250, Hparams.defaults(own).getInt("save_freq"));
        assertEquals(500, Hparams.defaults(scaled).getInt("save_freq"));
        assertEquals(0.4, Hparams.defaults(own).getDouble("mask_ratio"));
        assertEquals(0.2, Hparams.defaults(scaled).getDouble("mask_ratio"));
        assertEquals(Hparams.defaults(scaled).getDouble("act_ratio"), Hparams.defaults(own).getDouble("act_ratio"));
        assertTrue(own.hparamsSource().contains("emend-facts-2.yaml"), own.hparamsSource());
        // Δ after the activation as the reference everywhere; the reference's context prefixes except on
        // this model, where they cost Edit Succ (measured in its file)
        assertTrue(Hparams.defaults(own).getBool("activation_distance"));
        assertTrue(Hparams.defaults(scaled).getBool("activation_distance"));
        assertEquals(List.of(), Hparams.defaults(own).getIntList("context_template_lengths"));
        assertEquals(List.of(5, 10), Hparams.defaults(scaled).getIntList("context_template_lengths"));
    }

    @Test
    void theDefaultModelKeepsItsOwnFilesExactly() {
        ModelDefaults.Shape shape = ModelDefaults.Shape.of(DefaultModel.get());
        assertEquals(new ModelDefaults.Shape("gpt2", 6, 256, 2048), shape);
        DefaultsTables.assertDefaultModelUnchanged(descriptors(6), LOADER, shape);
        // without its override files the default model would get gpt2-xl's values scaled 48 -> 6
        MethodDescriptor grace = ModelDefaults.withDefaults(MethodDescriptor.find(descriptors(6), "GRACE").orElseThrow(),
                LOADER, "another-gpt2", shape);
        assertEquals(List.of("transformer.h[4].mlp.c_fc.weight"), Hparams.defaults(grace).getStringList("inner_params"));
        assertTrue(grace.hparamsSource().startsWith("hparams/GRACE/gpt2-xl.yaml"), grace.hparamsSource());
    }
}
