package dev.emend.core.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * A tiny random Llama checkpoint (hidden 16, 2 layers, 4,096 positions) around a real tokenizer
 * directory (tokenizer.json + tokenizer_config.json), with the tokenizer's full vocabulary
 * (128,256 for Llama-3): small weights, real-sized LM head.
 */
final class RealVocabCheckpoints {
    private RealVocabCheckpoints() {
    }

    static Path build(Path dir, Path tokenizerDir, int vocab, long seed) {
        JsonObject o = TinyCheckpoints.llamaConfig(vocab);
        o.addProperty("hidden_size", 16);
        o.addProperty("intermediate_size", 32);
        o.addProperty("num_attention_heads", 2);
        o.addProperty("num_key_value_heads", 1);
        o.addProperty("max_position_embeddings", 4096);
        o.addProperty("rope_theta", 500000.0);
        o.addProperty("rms_norm_eps", 1e-5);
        o.addProperty("tie_word_embeddings", true);
        o.addProperty("bos_token_id", 128000);
        o.addProperty("eos_token_id", 128001);
        ModelFamily family = ModelFamilies.forModelType("llama");
        ModelConfig config = family.parseConfig(o);
        DecoderModel model = family.create(config);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = model.initialise(m, seed);
            params.keySet().removeIf(k -> model.tiedParameters().containsKey(k));
            Checkpoints.save(dir, family, config, params, tokenizerDir.resolve("tokenizer.json"));
            Files.copy(tokenizerDir.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }
}
