package dev.emend.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.safetensors.SafetensorsWriter;
import dev.emend.core.safetensors.SafetensorsWriter.GeneratedTensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Writes a randomly initialised checkpoint with the shape of a public model, in bf16, for
 * {@code runtime-bench}'s memory and speed rows on a real size without downloading anything. The
 * shapes are the public configs' ({@code config.json} of meta-llama/Llama-3.2-1B and -3B); the
 * tokenizer is the default model's small byte-level BPE (its ids all lie below the vocabulary; BOS
 * and EOS are its own {@code <|endoftext|>}, not Llama 3's ids), so generated text is meaningless: this is for measuring, not for reading.
 */
@Command(name = "synth-checkpoint", mixinStandardHelpOptions = true,
        description = {"Write a random bf16 checkpoint shaped like a public model (for runtime-bench).",
            "Shapes: llama-3.2-1b (1.24B parameters, 2.47 GB), llama-3.2-3b (3.21B, 6.4 GB)."})
final class SynthCheckpointCommand implements Callable<Integer> {

    @Option(names = "--shape", required = true, description = "llama-3.2-1b or llama-3.2-3b.")
    String shape;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write (created).")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    /** The public config of the named shape. */
    static JsonObject config(String shape) {
        JsonObject o = new JsonObject();
        o.addProperty("model_type", "llama");
        o.addProperty("vocab_size", 128256);
        o.addProperty("max_position_embeddings", 131072);
        o.addProperty("rms_norm_eps", 1e-5);
        o.addProperty("rope_theta", 500000.0);
        o.addProperty("tie_word_embeddings", true);
        o.addProperty("hidden_act", "silu");
        o.addProperty("bos_token_id", 128000);
        o.addProperty("eos_token_id", 128001);
        o.addProperty("num_key_value_heads", 8);
        o.addProperty("intermediate_size", 8192);
        o.addProperty("torch_dtype", "bfloat16");
        JsonObject rope = new JsonObject();
        rope.addProperty("rope_type", "llama3");
        rope.addProperty("factor", 32.0);
        rope.addProperty("low_freq_factor", 1.0);
        rope.addProperty("high_freq_factor", 4.0);
        rope.addProperty("original_max_position_embeddings", 8192);
        o.add("rope_scaling", rope);
        switch (shape) {
            case "llama-3.2-1b" -> {
                o.addProperty("hidden_size", 2048);
                o.addProperty("num_hidden_layers", 16);
                o.addProperty("num_attention_heads", 32);
            }
            case "llama-3.2-3b" -> {
                o.addProperty("hidden_size", 3072);
                o.addProperty("num_hidden_layers", 28);
                o.addProperty("num_attention_heads", 24);
            }
            default -> throw new IllegalArgumentException("--shape " + shape + " is not known: use llama-3.2-1b or llama-3.2-3b");
        }
        return o;
    }

    /**
     * The public config with the special-token ids of the tokenizer written beside it, the default
     * model's ({@code modelDir}): Llama 3's 128000/128001 are not in that 2,048-token vocabulary, and
     * whatever decodes the EOS (IKE's demonstration separator, in a 10-case bench) failed with
     * "token id 128001 out of range [0, 2048)".
     */
    static JsonObject config(String shape, Path modelDir) throws IOException {
        JsonObject cfg = config(shape);
        JsonObject own = JsonParser.parseString(Files.readString(modelDir.resolve("config.json"))).getAsJsonObject();
        cfg.add("bos_token_id", own.get("bos_token_id"));
        cfg.add("eos_token_id", own.get("eos_token_id"));
        return cfg;
    }

    @Override
    public Integer call() throws IOException {
        JsonObject cfg = config(shape, EmendCli.defaultModelDir());
        ModelFamily family = ModelFamilies.forModelType("llama");
        ModelConfig config = family.parseConfig(cfg);
        DecoderModel model = family.create(config);
        Files.createDirectories(out);
        Files.writeString(out.resolve("config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(cfg) + "\n", StandardCharsets.UTF_8);
        Files.copy(EmendCli.defaultModelDir().resolve("tokenizer.json"), out.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING);
        // Uniform weights with the usual 0.02 standard deviation (cheaper to draw than normals),
        // norm scales 1: the numbers only have to be finite and of a real model's magnitude.
        SplittableRandom rnd = new SplittableRandom(seed);
        double half = 0.02 * Math.sqrt(3);
        Map<String, GeneratedTensor> tensors = new LinkedHashMap<>();
        long params = 0;
        for (var e : model.parameterShapes().entrySet()) {
            boolean norm = e.getKey().endsWith("norm.weight");
            tensors.put(e.getKey(), new GeneratedTensor(e.getValue().getShape(),
                    norm ? () -> 1.0 : () -> (rnd.nextDouble() * 2 - 1) * half));
            params += e.getValue().size();
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf(Locale.ROOT, "writing %s: %,d parameters in bf16 ...%n", out.resolve("model.safetensors"), params);
        w.flush();
        SafetensorsWriter.writeGenerated(out.resolve("model.safetensors"), tensors, Map.of("format", "pt"),
                SafetensorsWriter.Precision.BF16);
        w.printf(Locale.ROOT, "done: %,d bytes%n", Files.size(out.resolve("model.safetensors")));
        w.flush();
        return 0;
    }
}
