package dev.emend.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Emend's tokenizer: a thin wrapper over DJL's {@link HuggingFaceTokenizer} that loads any Hugging
 * Face {@code tokenizer.json} (Emend's own trained byte-level BPE or a real GPT-2/Llama checkpoint's)
 * through the same native code path. {@link #encode} never adds special tokens and {@link #decode}
 * never skips or cleans anything, so for byte-level BPE {@code decode(encode(s)).equals(s)} holds
 * exactly, which editing methods rely on when they rebuild prompts from decoded token prefixes.
 * Token/id lookups are answered from the vocabulary parsed out of the same file. Instances hold a
 * native handle: close them (try-with-resources).
 */
public final class TextTokenizer implements AutoCloseable {

    /** End-of-sequence spellings tried in order when the checkpoint names none. */
    private static final List<String> EOS_CANDIDATES =
            List.of(BpeTokenizerTrainer.END_OF_TEXT, "</s>", "<|end_of_text|>", "<|eot_id|>");

    private final Path file;
    private final HuggingFaceTokenizer hf;
    private final String[] idToToken;
    private final Map<String, Integer> tokenToId;
    private final int eosId;
    private final JsonObject postProcessor;

    private TextTokenizer(Path file, HuggingFaceTokenizer hf, String[] idToToken,
            Map<String, Integer> tokenToId, int eosId, JsonObject postProcessor) {
        this.file = file;
        this.hf = hf;
        this.idToToken = idToToken;
        this.tokenToId = tokenToId;
        this.eosId = eosId;
        this.postProcessor = postProcessor;
    }

    /**
     * Loads {@code tokenizer.json} from a checkpoint directory or from the file itself.
     *
     * @throws NoSuchFileException if the file does not exist (message names the path)
     * @throws IOException if the file is not a readable Hugging Face tokenizer (message names it)
     */
    public static TextTokenizer load(Path dirOrFile) throws IOException {
        Objects.requireNonNull(dirOrFile, "dirOrFile");
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toAbsolutePath().toString(), null,
                    "tokenizer.json not found");
        }
        // Parse ourselves first: it gives a clear error for a corrupt file (the native loader's
        // message does not name it) and supplies the id<->token tables DJL does not expose.
        JsonObject root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement parsed = JsonParser.parseReader(r);
            if (!parsed.isJsonObject()) {
                throw new IOException("Corrupt tokenizer file " + file + ": not a JSON object");
            }
            root = parsed.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException("Corrupt tokenizer file " + file + ": " + e.getMessage(), e);
        }
        Map<String, Integer> tokenToId = new HashMap<>();
        readVocab(root, file, tokenToId);
        Map<String, Integer> special = new HashMap<>();
        JsonElement added = root.get("added_tokens");
        if (added != null && added.isJsonArray()) {
            for (JsonElement e : added.getAsJsonArray()) {
                JsonObject t = e.getAsJsonObject();
                String content = t.get("content").getAsString();
                int id = t.get("id").getAsInt();
                tokenToId.put(content, id);
                special.put(content, id);
            }
        }
        int size = 0;
        for (int id : tokenToId.values()) {
            size = Math.max(size, id + 1);
        }
        String[] idToToken = new String[size];
        for (Map.Entry<String, Integer> e : tokenToId.entrySet()) {
            idToToken[e.getValue()] = e.getKey();
        }
        int eos = resolveEos(file, special, tokenToId);

        HuggingFaceTokenizer hf;
        try {
            // Truncation and padding are off explicitly: callers feed whole prompts/documents and
            // a silent cut would break the round-trip contract.
            hf = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (RuntimeException e) {
            throw new IOException("Corrupt tokenizer file " + file + ": " + e.getMessage(), e);
        }
        JsonElement pp = root.get("post_processor");
        return new TextTokenizer(file, hf, idToToken, tokenToId, eos,
                pp != null && pp.isJsonObject() ? pp.getAsJsonObject().deepCopy() : null);
    }

    private static void readVocab(JsonObject root, Path file, Map<String, Integer> out)
            throws IOException {
        JsonElement model = root.get("model");
        if (model == null || !model.isJsonObject()) {
            throw new IOException("Corrupt tokenizer file " + file + ": no \"model\" object");
        }
        JsonElement vocab = model.getAsJsonObject().get("vocab");
        if (vocab == null) {
            throw new IOException("Corrupt tokenizer file " + file + ": model has no \"vocab\"");
        }
        if (vocab.isJsonObject()) { // BPE / WordPiece / WordLevel: token -> id
            for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                out.put(e.getKey(), e.getValue().getAsInt());
            }
        } else if (vocab.isJsonArray()) { // Unigram: [[piece, score], ...], id = position
            JsonArray arr = vocab.getAsJsonArray();
            for (int i = 0; i < arr.size(); i++) {
                out.put(arr.get(i).getAsJsonArray().get(0).getAsString(), i);
            }
        } else {
            throw new IOException("Corrupt tokenizer file " + file + ": unreadable \"vocab\"");
        }
    }

    /** Checkpoint's own eos (tokenizer_config.json) first, then known spellings; -1 if none. */
    private static int resolveEos(Path file, Map<String, Integer> special,
            Map<String, Integer> tokenToId) {
        Path config = file.resolveSibling("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            try (Reader r = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
                JsonElement eos = JsonParser.parseReader(r).getAsJsonObject().get("eos_token");
                String name = null;
                if (eos != null && eos.isJsonPrimitive()) {
                    name = eos.getAsString();
                } else if (eos != null && eos.isJsonObject() && eos.getAsJsonObject().has("content")) {
                    name = eos.getAsJsonObject().get("content").getAsString();
                }
                if (name != null && tokenToId.containsKey(name)) {
                    return tokenToId.get(name);
                }
            } catch (IOException | RuntimeException e) {
                // An unreadable side file must not block loading; fall back to known spellings.
            }
        }
        for (String c : EOS_CANDIDATES) {
            if (special.containsKey(c)) {
                return special.get(c);
            }
        }
        for (String c : EOS_CANDIDATES) {
            if (tokenToId.containsKey(c)) {
                return tokenToId.get(c);
            }
        }
        return -1;
    }

    /**
     * Token ids of {@code text}, with no special tokens added. A literal {@code <|endoftext|>} in
     * the text still maps to the special id, as in Hugging Face GPT-2.
     *
     * <p>For byte-level BPE, {@code encode(prompt) ++ encode(" " + target)} equals
     * {@code encode(prompt + " " + target)} whenever {@code prompt} does not end in whitespace:
     * GPT-2 pre-tokenization attaches the space to the following word, so the split falls on a
     * pre-token boundary. It fails when the prompt ends in whitespace (its trailing space becomes
     * its own token instead of joining the target) or when the target is glued on without a space.
     */
    public int[] encode(String text) {
        long[] ids = encodeLong(text);
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    /** {@link #encode} as {@code long[]}, the element type DJL tensors use for indices. */
    public long[] encodeLong(String text) {
        Objects.requireNonNull(text, "text");
        Encoding enc = hf.encode(text, false, false);
        return enc.getIds();
    }

    /** Text of the ids, verbatim: special tokens kept, no space clean-up. */
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return decode(l);
    }

    /**
     * {@link #decode(int[])} for {@code long[]}. A prefix that ends inside a multi-byte UTF-8
     * character decodes that partial character as U+FFFD, as Hugging Face does.
     */
    public String decode(long[] ids) {
        Objects.requireNonNull(ids, "ids");
        for (long id : ids) {
            checkId(id);
        }
        return hf.decode(ids, false);
    }

    /** The raw vocabulary string of {@code id}, e.g. "ĠParis" for " Paris" in byte-level BPE. */
    public String token(int id) {
        checkId(id);
        String t = idToToken[id];
        if (t == null) {
            throw new IllegalArgumentException("id " + id + " has no token in " + file);
        }
        return t;
    }

    /** True when {@code id} is in range and names a vocabulary entry (real vocabularies may have holes). */
    public boolean hasToken(int id) {
        return id >= 0 && id < idToToken.length && idToToken[id] != null;
    }

    /** Id of a raw vocabulary string (byte-symbol form, e.g. "ĠParis"), if present. */
    public OptionalInt id(String tokenString) {
        Integer id = tokenToId.get(tokenString);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Number of ids: one past the largest id in the vocabulary and added tokens. */
    public int vocabSize() {
        return idToToken.length;
    }

    /**
     * End-of-sequence id: the eos named by a sibling tokenizer_config.json, else
     * {@code <|endoftext|>}, {@code </s>}, {@code <|end_of_text|>} or {@code <|eot_id|>}.
     *
     * @throws IllegalStateException if the tokenizer has none of these
     */
    public int eosId() {
        if (eosId < 0) {
            throw new IllegalStateException("No end-of-sequence token in " + file);
        }
        return eosId;
    }

    /** The file's {@code post_processor} (read by {@link SpecialTokens}), or null when it has none. */
    JsonObject postProcessor() {
        return postProcessor == null ? null : postProcessor.deepCopy();
    }

    /** The tokenizer.json this instance was loaded from. */
    public Path file() {
        return file;
    }

    private void checkId(long id) {
        if (id < 0 || id >= idToToken.length) {
            throw new IllegalArgumentException(
                    "token id " + id + " out of range [0, " + idToToken.length + ") for " + file);
        }
    }

    @Override
    public void close() {
        hf.close();
    }
}
