package dev.emend.core.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face checkpoint directory seen as one name-to-tensor map, whether it holds a single
 * {@value #SINGLE_FILE} or shards listed in {@value #INDEX_FILE} (its {@code weight_map} maps each
 * tensor name to a shard file). All shards are opened and their headers validated at open time,
 * and every index entry is checked against its shard, so a half-downloaded checkpoint fails
 * immediately with the name of the missing or broken file. Loading maps only the requested
 * tensor's bytes, as {@link SafetensorsFile} does.
 */
public final class SafetensorsCheckpoint implements TensorSource {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    private final String label;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byTensor;
    private final Map<String, String> metadata;

    private SafetensorsCheckpoint(Path directory, List<SafetensorsFile> files,
            Map<String, SafetensorsFile> byTensor, Map<String, String> metadata) {
        this.directory = directory;
        this.label = "checkpoint " + directory;
        this.files = List.copyOf(files);
        this.byTensor = Collections.unmodifiableMap(byTensor);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens the checkpoint in {@code location}: a directory (preferring {@value #SINGLE_FILE}, as
     * transformers does, and falling back to {@value #INDEX_FILE}), or directly one of those files.
     */
    public static SafetensorsCheckpoint open(Path location) throws IOException {
        if (Files.isRegularFile(location)) {
            Path dir = location.toAbsolutePath().getParent();
            return location.getFileName().toString().endsWith(".json")
                    ? openIndex(dir, location)
                    : openSingle(dir, location);
        }
        if (!Files.isDirectory(location)) {
            throw new SafetensorsFormatException("checkpoint " + location + ": no such directory");
        }
        Path single = location.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return openSingle(location, single);
        }
        Path index = location.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openIndex(location, index);
        }
        throw new SafetensorsFormatException("checkpoint " + location + ": neither " + SINGLE_FILE
                + " nor " + INDEX_FILE + " exists");
    }

    private static SafetensorsCheckpoint openSingle(Path dir, Path file) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        for (String name : f.names()) {
            byTensor.put(name, f);
        }
        return new SafetensorsCheckpoint(dir, List.of(f), byTensor, new LinkedHashMap<>(f.metadata()));
    }

    private static SafetensorsCheckpoint openIndex(Path dir, Path indexFile) throws IOException {
        String where = "checkpoint " + dir + ": " + indexFile.getFileName();
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(Files.readString(indexFile, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new SafetensorsFormatException(where + " is not a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new SafetensorsFormatException(where + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonElement wm = root.get("weight_map");
        if (wm == null || !wm.isJsonObject()) {
            throw new SafetensorsFormatException(where + " has no 'weight_map' object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonElement meta = root.get("metadata");
        if (meta != null && meta.isJsonObject()) {
            for (Map.Entry<String, JsonElement> m : meta.getAsJsonObject().entrySet()) {
                JsonElement v = m.getValue();
                // total_size is a number in real indexes; callers get the text either way.
                metadata.put(m.getKey(), v.isJsonPrimitive() ? v.getAsString() : v.toString());
            }
        }

        Path base = dir.toAbsolutePath().normalize();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, JsonElement> entry : wm.getAsJsonObject().entrySet()) {
                String tensor = entry.getKey();
                JsonElement v = entry.getValue();
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                    throw new SafetensorsFormatException(where + ": weight_map entry for tensor '" + tensor
                            + "' is not a file name");
                }
                String shardName = v.getAsString();
                SafetensorsFile shard = shards.get(shardName);
                if (shard == null) {
                    Path shardPath = base.resolve(shardName).normalize();
                    // An index is data from the internet; it must not point outside the checkpoint.
                    if (!shardPath.startsWith(base)) {
                        throw new SafetensorsFormatException(where + " maps tensor '" + tensor + "' to shard '"
                                + shardName + "', which lies outside the checkpoint directory");
                    }
                    if (!Files.isRegularFile(shardPath)) {
                        throw new SafetensorsFormatException(where + " maps tensor '" + tensor + "' to shard '"
                                + shardName + "', which does not exist");
                    }
                    shard = SafetensorsFile.open(shardPath);
                    shards.put(shardName, shard);
                }
                if (!shard.names().contains(tensor)) {
                    throw new SafetensorsFormatException(where + " maps tensor '" + tensor + "' to shard '"
                            + shardName + "', but that shard has no such tensor");
                }
                byTensor.put(tensor, shard);
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : shards.values()) {
                try {
                    f.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        return new SafetensorsCheckpoint(dir, new ArrayList<>(shards.values()), byTensor, metadata);
    }

    public Path directory() {
        return directory;
    }

    /** The file that holds {@code name}. */
    public Path fileOf(String name) {
        return file(name).path();
    }

    /** Every opened file, one for a single-file checkpoint. */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    @Override
    public Set<String> names() {
        return byTensor.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public NDArray load(String name, NDManager manager) throws IOException {
        return file(name).load(name, manager);
    }

    @Override
    public float[] loadFloats(String name) throws IOException {
        return file(name).loadFloats(name);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "SafetensorsCheckpoint[" + directory + ", " + files.size() + " files, " + byTensor.size() + " tensors]";
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new IllegalArgumentException(SafetensorsFile.missing(label, name, byTensor.keySet()));
        }
        return f;
    }
}
