package dev.emend.recognition.retrieval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw embeddings of a whole list of texts (the demonstration pool, the centre's reference
 * prompts) kept on disk, so a recognition service embeds its pool once per model and pool instead
 * of at every start (1,784 texts, 17–24 s on the default model on this machine). The key is a
 * SHA-256 of the model's fingerprint, the pooling and every text in order: a different model,
 * pooling or pool is a different file, never a stale one. Files are written whole (temporary file,
 * then an atomic rename); one that does not read back as the expected count × dimension is
 * recomputed and replaced. Queries are never cached (one text each, embedded per request).
 */
public final class EmbeddingCache {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingCache.class);

    private final Path dir;

    public EmbeddingCache(Path dir) {
        this.dir = dir;
    }

    public Path directory() {
        return dir;
    }

    /** The vectors of {@code texts}: read from the cache, or computed by {@code compute} and stored. */
    List<float[]> get(String modelFingerprint, String pooling, List<String> texts, int dim, Supplier<List<float[]>> compute) {
        Path file = dir.resolve(key(modelFingerprint, pooling, texts) + ".f32");
        List<float[]> cached = read(file, texts.size(), dim);
        if (cached != null) {
            return cached;
        }
        List<float[]> vectors = compute.get();
        write(file, vectors, dim);
        return vectors;
    }

    static String key(String modelFingerprint, String pooling, List<String> texts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((modelFingerprint + "\0" + pooling + "\0" + texts.size()).getBytes(StandardCharsets.UTF_8));
            for (String t : texts) {
                sha.update((byte) 0);
                sha.update(t.getBytes(StandardCharsets.UTF_8));
            }
            return "embeddings-" + HexFormat.of().formatHex(sha.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<float[]> read(Path file, int count, int dim) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != (long) count * dim * Float.BYTES) {
                LOG.warn("embedding cache {} has {} bytes, expected {}: recomputing", file, bytes.length, (long) count * dim * 4);
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            List<float[]> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                float[] v = new float[dim];
                for (int j = 0; j < dim; j++) {
                    v[j] = b.getFloat();
                }
                out.add(v);
            }
            return out;
        } catch (IOException e) {
            LOG.warn("embedding cache {} unreadable ({}): recomputing", file, e.getMessage());
            return null;
        }
    }

    private static void write(Path file, List<float[]> vectors, int dim) {
        ByteBuffer b = ByteBuffer.allocate(vectors.size() * dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] v : vectors) {
            if (v.length != dim) {
                throw new IllegalStateException("embedding of " + v.length + " values, expected " + dim);
            }
            for (float x : v) {
                b.putFloat(x);
            }
        }
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, b.array());
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            // a cache that cannot be written costs the next start time, never this one's result
            LOG.warn("could not write the embedding cache {}: {}", file, e.getMessage());
        }
    }
}
