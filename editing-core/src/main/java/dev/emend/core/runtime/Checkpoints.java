package dev.emend.core.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.emend.core.model.BaseWeights;
import dev.emend.core.model.CheckpointException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.safetensors.SafetensorsCheckpoint;
import dev.emend.core.safetensors.SafetensorsWriter;
import dev.emend.core.safetensors.TensorInfo;
import dev.emend.core.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.nio.ByteBuffer;

/**
 * Loads and saves Hugging Face checkpoint directories ({@code config.json}, {@code
 * model.safetensors} or a sharded index, {@code tokenizer.json}). Loading is the same code path
 * for Emend's own default model and for a downloaded checkpoint of any supported family: the family
 * comes from {@code architectures} and {@code model_type} ({@link ModelFamilies#forConfig}), every
 * tensor is checked against the shape the config implies, a tensor the family does not use is an
 * error (or a warning where Hugging Face also ignores it), and weights
 * are memory-mapped one tensor at a time (so files past 2 GiB load).
 */
public final class Checkpoints {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Checkpoints.class);
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private Checkpoints() {
    }

    /** Reads and parses {@code config.json}; errors name the file. */
    public static ModelConfig readConfig(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": no config.json in the checkpoint directory "
                    + "(expected a Hugging Face model directory with config.json, model.safetensors, tokenizer.json)");
        }
        JsonObject json;
        try {
            json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new CheckpointException(file + ": not a valid JSON object (" + e.getMessage() + ")", e);
        }
        try {
            ModelFamily family = ModelFamilies.forConfig(json);
            return family.parseConfig(json);
        } catch (CheckpointException e) {
            // Families word their errors as "config.json: ..."; name the actual file instead.
            String msg = e.getMessage().startsWith("config.json: ") ? e.getMessage().substring(13) : e.getMessage();
            throw new CheckpointException(file + ": " + msg, e);
        }
    }

    /**
     * Loads a whole checkpoint directory into a new base manager on the device of
     * {@link ComputeSettings#current()} ({@code EMEND_DEVICE}), weights in their stored dtype,
     * computing in the dtype {@code EMEND_DTYPE} resolves to.
     */
    public static LanguageModel load(Path dir) {
        return load(dir, ComputeSettings.current());
    }

    /** Loads a whole checkpoint directory with explicit compute settings. */
    public static LanguageModel load(Path dir, ComputeSettings settings) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": model directory does not exist "
                    + "(set --model or EMEND_MODEL_DIR to a Hugging Face checkpoint directory)");
        }
        ModelConfig config = readConfig(dir);
        ModelFamily family = ModelFamilies.forModelType(config.modelType());
        DecoderModel model = family.create(config);
        Path tokFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokFile)) {
            throw new CheckpointException(tokFile + ": missing tokenizer.json (Emend needs the Hugging Face fast-tokenizer file)");
        }
        NDManager manager = NDManager.newBaseManager(settings.device());
        try {
            BaseWeights weights = loadWeights(dir, model, manager);
            model.setComputeType(settings.computeType(storedType(weights), storedAsBf16(dir)));
            String fingerprint = fingerprint(dir);
            TextTokenizer tokenizer = loadTokenizer(dir, config);
            try {
                return new LanguageModel(dir, family, model, weights, tokenizer, manager, fingerprint);
            } catch (RuntimeException e) {
                tokenizer.close();
                throw e;
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Loads only the tokenizer of a checkpoint directory (no weights), checked against
     * {@code config}'s vocabulary size; for commands that need tokens but not the model.
     */
    public static TextTokenizer loadTokenizer(Path dir, ModelConfig config) {
        Path tokFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokFile)) {
            throw new CheckpointException(tokFile + ": missing tokenizer.json (Emend needs the Hugging Face fast-tokenizer file)");
        }
        TextTokenizer tokenizer;
        try {
            tokenizer = TextTokenizer.load(tokFile);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(tokFile + ": cannot load tokenizer (" + e.getMessage() + ")", e);
        }
        if (tokenizer.vocabSize() > config.vocabSize()) {
            tokenizer.close();
            throw new CheckpointException(tokFile + ": tokenizer has " + tokenizer.vocabSize()
                    + " ids but config.json vocab_size is " + config.vocabSize());
        }
        return tokenizer;
    }

    /** The floating-point dtype holding most of the weights' elements (FLOAT32 when there are none). */
    public static DataType storedType(BaseWeights weights) {
        Map<DataType, Long> elements = new java.util.EnumMap<>(DataType.class);
        for (NDArray a : weights.asMap().values()) {
            if (a.getDataType().isFloating()) {
                elements.merge(a.getDataType(), a.size(), Long::sum);
            }
        }
        return elements.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(DataType.FLOAT32);
    }

    /** Whether the checkpoint's files store BF16 tensors (held as float16 once loaded). */
    static boolean storedAsBf16(Path dir) {
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            return ckpt.names().stream().anyMatch(n -> "BF16".equals(ckpt.info(n).dtype()));
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot read weights: " + e.getMessage(), e);
        }
    }

    static BaseWeights loadWeights(Path dir, DecoderModel model, NDManager manager) {
        Map<String, String> found = new LinkedHashMap<>();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            checkUnused(dir, model, ckpt.names());
            Map<String, String> tied = model.tiedParameters();
            for (Map.Entry<String, Shape> e : model.parameterShapes().entrySet()) {
                String canonical = e.getKey();
                String name = null;
                for (String candidate : model.checkpointNames(canonical)) {
                    if (ckpt.names().contains(candidate)) {
                        name = candidate;
                        break;
                    }
                }
                if (name == null) {
                    if (tied.containsKey(canonical)) {
                        continue;
                    }
                    throw new CheckpointException(dir + ": weights lack tensor '" + canonical + "' (looked for "
                            + model.checkpointNames(canonical) + " among " + ckpt.names().size() + " tensors)");
                }
                TensorInfo info = ckpt.info(name);
                Shape actual = new Shape(info.shape());
                if (!actual.equals(e.getValue())) {
                    throw new CheckpointException(ckpt.fileOf(name) + ": tensor '" + name + "' has shape " + actual
                            + " but config.json implies " + e.getValue());
                }
                found.put(canonical, name);
            }
            return new BaseWeights(loadAll(ckpt, found, manager));
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot read weights: " + e.getMessage(), e);
        }
    }

    /**
     * Loads the tensors {@code found} (canonical to stored name) on one thread per core: a bf16
     * checkpoint is converted as it is read (see SafetensorsFile), which is CPU work worth
     * spreading. The result keeps the canonical order.
     */
    private static Map<String, NDArray> loadAll(SafetensorsCheckpoint ckpt, Map<String, String> found, NDManager manager)
            throws IOException {
        int threads = Math.max(1, Math.min(found.size(), Runtime.getRuntime().availableProcessors()));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "emend-load");
            t.setDaemon(true);
            return t;
        });
        Map<String, java.util.concurrent.Future<NDArray>> futures = new LinkedHashMap<>();
        Map<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : found.entrySet()) {
                futures.put(e.getKey(), pool.submit(() -> {
                    NDArray loaded = ckpt.load(e.getValue(), manager);
                    // The weights live as long as the model, never as long as a caller's scope.
                    ai.djl.ndarray.NDScope.unregister(loaded);
                    return loaded;
                }));
            }
            for (Map.Entry<String, java.util.concurrent.Future<NDArray>> f : futures.entrySet()) {
                out.put(f.getKey(), f.getValue().get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException(ckpt.directory() + ": interrupted while loading weights", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new CheckpointException(ckpt.directory() + ": cannot load weights: " + cause, cause);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Refuses a checkpoint with tensors the family does not consume (a Qwen2 checkpoint
     * relabelled {@code llama} would otherwise run with its q/k/v biases silently dropped),
     * except the ones Hugging Face also skips on load, which are logged as a warning by name.
     */
    static void checkUnused(Path dir, DecoderModel model, java.util.Collection<String> names) {
        java.util.Set<String> consumed = new java.util.HashSet<>();
        for (String canonical : model.parameterShapes().keySet()) {
            consumed.addAll(model.checkpointNames(canonical));
        }
        List<String> ignored = new java.util.ArrayList<>();
        List<String> unused = new java.util.ArrayList<>();
        for (String n : names) {
            if (!consumed.contains(n)) {
                (model.ignoredByHuggingFace(n) ? ignored : unused).add(n);
            }
        }
        if (!unused.isEmpty()) {
            throw new CheckpointException(dir + ": " + unused.size() + " tensor(s) that a " + model.config().modelType()
                    + " model with this config.json does not use: " + preview(unused)
                    + " (is config.json's architectures/model_type or a flag such as attention_bias wrong?"
                    + " Running without them would give wrong outputs)");
        }
        if (!ignored.isEmpty()) {
            LOG.warn("{}: ignoring {} tensor(s) that Hugging Face also ignores on load: {}", dir, ignored.size(), preview(ignored));
        }
    }

    private static String preview(List<String> names) {
        int shown = Math.min(names.size(), 8);
        String head = "'" + String.join("', '", names.subList(0, shown)) + "'";
        return shown < names.size() ? head + " and " + (names.size() - shown) + " more" : head;
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (F32) for the given parameters and
     * copies the tokenizer file, producing a directory any Hugging Face loader can read.
     */
    public static void save(Path dir, ModelFamily family, ModelConfig config, Map<String, NDArray> params,
                            Path tokenizerJson) throws IOException {
        Files.createDirectories(dir);
        JsonObject cfg = family.toConfigJson(config);
        Path tmp = dir.resolve("config.json.tmp");
        Files.writeString(tmp, GSON.toJson(cfg) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        SafetensorsWriter.write(dir.resolve("model.safetensors"), params, meta, SafetensorsWriter.Precision.F32);
        if (tokenizerJson != null && !tokenizerJson.toAbsolutePath().equals(dir.resolve("tokenizer.json").toAbsolutePath())) {
            Files.copy(tokenizerJson, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * SHA-256 over config.json, tokenizer.json, every weight file's header and size, and the weight bytes (all
     * of them for files up to 256 MiB, else 16 samples of 1 MiB spread over the file), so two
     * checkpoints that differ in any loaded tensor of our size differ here, at bounded cost.
     */
    public static String fingerprint(Path dir) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Files.readAllBytes(dir.resolve("config.json")));
            if (Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                md.update(Files.readAllBytes(dir.resolve("tokenizer.json")));
            }
            List<Path> files;
            try (var s = Files.list(dir)) {
                files = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            }
            for (Path f : files) {
                md.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    long size = ch.size();
                    md.update(ByteBuffer.allocate(8).putLong(size).array());
                    long limit = 256L << 20;
                    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                    if (size <= limit) {
                        ch.position(0);
                        while (ch.read(buf) > 0) {
                            buf.flip();
                            md.update(buf);
                            buf.clear();
                        }
                    } else {
                        for (int i = 0; i < 16; i++) {
                            long pos = (size - buf.capacity()) / 15 * i;
                            buf.clear();
                            ch.read(buf, pos);
                            buf.flip();
                            md.update(buf);
                        }
                    }
                }
            }
            return "sha256:" + HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new CheckpointException(dir + ": cannot fingerprint checkpoint: " + e.getMessage(), e);
        }
    }
}
