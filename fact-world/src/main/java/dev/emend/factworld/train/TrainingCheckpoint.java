package dev.emend.factworld.train;

import ai.djl.ndarray.NDArray;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.safetensors.SafetensorsFile;
import dev.emend.core.safetensors.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A resumable state of an {@link LmTrainer} run, in {@code <dir>/state/}: {@code weights.safetensors}
 * (the parameters, float32), {@code optimizer.safetensors} (AdamW's first and second moments,
 * {@code m.<name>} and {@code v.<name>}) and {@code state.json} (the options, the global step, the
 * epoch, how many of its batches are done, the epoch's loss so far, and the data-order generator's
 * state at the start of the epoch, a serialised {@link java.util.Random} in Base64). A new state is
 * written beside the old one and swapped in by renames, so an interrupted write leaves the previous
 * state readable. Other files in {@code dir} (the builder's spec and tokenizer) are left alone.
 */
public final class TrainingCheckpoint {
    public static final String FORMAT = "emend-lm-training/1";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final Path state;
    private final JsonObject json;

    private TrainingCheckpoint(Path state, JsonObject json) {
        this.state = state;
        this.json = json;
    }

    static void write(Path dir, LmTrainer.Options options, Map<String, NDArray> params, Map<String, NDArray> m1,
                      Map<String, NDArray> m2, int step, int epoch, int batchesDone, byte[] epochRandom, double epochLoss) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve("state.tmp");
            deleteTree(tmp);
            Files.createDirectories(tmp);
            SafetensorsWriter.write(tmp.resolve("weights.safetensors"), params, Map.of("format", "pt"),
                    SafetensorsWriter.Precision.F32);
            var moments = new LinkedHashMap<String, NDArray>();
            m1.forEach((k, v) -> moments.put("m." + k, v));
            m2.forEach((k, v) -> moments.put("v." + k, v));
            SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), moments, Map.of("format", "pt"),
                    SafetensorsWriter.Precision.F32);
            JsonObject o = new JsonObject();
            o.addProperty("format", FORMAT);
            o.add("options", GSON.toJsonTree(optionsMap(options)));
            o.addProperty("step", step);
            o.addProperty("epoch", epoch);
            o.addProperty("batches_done", batchesDone);
            o.addProperty("epoch_loss", epochLoss);
            o.addProperty("epoch_random", Base64.getEncoder().encodeToString(epochRandom));
            Files.writeString(tmp.resolve("state.json"), GSON.toJson(o) + "\n", StandardCharsets.UTF_8);
            Path current = dir.resolve("state");
            Path old = dir.resolve("state.old");
            deleteTree(old);
            if (Files.exists(current)) {
                Files.move(current, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, current, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write training checkpoint into " + dir, e);
        }
    }

    /** Reads the state in {@code dir} (or the previous one, if a write was interrupted between its renames). */
    public static TrainingCheckpoint read(Path dir) {
        Path state = dir.resolve("state");
        if (!Files.isRegularFile(state.resolve("state.json")) && Files.isRegularFile(dir.resolve("state.old/state.json"))) {
            state = dir.resolve("state.old");
        }
        Path file = state.resolve("state.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + ": no training checkpoint (expected " + file
                    + "; a run writes one with --checkpoint-dir)");
        }
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
            if (!o.has("format") || !FORMAT.equals(o.get("format").getAsString())) {
                throw new IllegalArgumentException(file + ": format is " + o.get("format") + ", expected " + FORMAT);
            }
            return new TrainingCheckpoint(state, o);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException(file + ": not a training state: " + e.getMessage(), e);
        }
    }

    public int step() {
        return json.get("step").getAsInt();
    }

    public int epoch() {
        return json.get("epoch").getAsInt();
    }

    public int batchesDone() {
        return json.get("batches_done").getAsInt();
    }

    double epochLoss() {
        return json.get("epoch_loss").getAsDouble();
    }

    /** The data-order generator as it was at the start of the checkpoint's epoch. */
    Random epochRandom() {
        byte[] bytes = Base64.getDecoder().decode(json.get("epoch_random").getAsString());
        try (var in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (Random) in.readObject();
        } catch (IOException | ClassNotFoundException | ClassCastException e) {
            throw new IllegalArgumentException(state.resolve("state.json") + ": epoch_random is not a saved java.util.Random", e);
        }
    }

    static byte[] randomState(Random rnd) {
        var bytes = new ByteArrayOutputStream();
        try (var out = new ObjectOutputStream(bytes)) {
            out.writeObject(rnd);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Resuming with other hyperparameters would not continue the same run: refuse, naming the difference. */
    void checkOptions(LmTrainer.Options options) {
        JsonObject saved = json.getAsJsonObject("options");
        // Through text, as the saved options were, so float options compare by their printed value.
        JsonObject now = JsonParser.parseString(GSON.toJson(optionsMap(options))).getAsJsonObject();
        if (!saved.equals(now)) {
            throw new IllegalArgumentException(state + ": the checkpoint was written with training options " + saved
                    + ", this run has " + now + "; resume with the same options");
        }
    }

    /** Copies the saved weights and moments into the trainer's arrays (same names and shapes). */
    void restore(Map<String, NDArray> params, Map<String, NDArray> m1, Map<String, NDArray> m2) {
        try (SafetensorsFile w = SafetensorsFile.open(state.resolve("weights.safetensors"));
             SafetensorsFile o = SafetensorsFile.open(state.resolve("optimizer.safetensors"))) {
            for (var e : params.entrySet()) {
                fill(w, e.getKey(), e.getValue());
                fill(o, "m." + e.getKey(), m1.get(e.getKey()));
                fill(o, "v." + e.getKey(), m2.get(e.getKey()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read training checkpoint " + state, e);
        }
    }

    private static void fill(SafetensorsFile file, String name, NDArray into) throws IOException {
        if (!file.names().contains(name)) {
            throw new IllegalArgumentException(file.path() + ": no tensor '" + name + "' (a checkpoint of another model?)");
        }
        float[] values = file.loadFloats(name);
        if (values.length != into.getShape().size()) {
            throw new IllegalArgumentException(file.path() + ": tensor '" + name + "' has " + values.length
                    + " values, the model's has shape " + into.getShape());
        }
        into.set(values);
    }

    private static Map<String, Object> optionsMap(LmTrainer.Options o) {
        var m = new LinkedHashMap<String, Object>();
        m.put("epochs", o.epochs());
        m.put("batch_size", o.batchSize());
        m.put("learning_rate", o.learningRate());
        m.put("min_learning_rate", o.minLearningRate());
        m.put("warmup_steps", o.warmupSteps());
        m.put("weight_decay", o.weightDecay());
        m.put("clip_norm", o.clipNorm());
        m.put("seed", o.seed());
        return m;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
