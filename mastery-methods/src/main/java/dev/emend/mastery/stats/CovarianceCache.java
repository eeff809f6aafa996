package dev.emend.mastery.stats;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.safetensors.SafetensorsFile;
import dev.emend.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On-disk cache of {@link SecondMoment}s, one safetensors file per (model fingerprint, layer,
 * corpus hash, sample count), because C over a real corpus costs minutes to hours and is the same
 * for every edit of a layer. Files are written to a temporary sibling and moved into place (a
 * crash never leaves a truncated file under the real name); a file whose metadata does not match
 * its key, or that cannot be read, is recomputed. C is stored as float32; the computed value is
 * rounded the same way before it is returned, so a hit and a miss give identical results.
 */
public final class CovarianceCache {
    private static final Logger LOG = LoggerFactory.getLogger(CovarianceCache.class);
    private static final String TENSOR = "mom2";

    /** What a lookup returned: the statistics, the file that holds them, and whether it was a hit. */
    public record Lookup(SecondMoment moment, Path file, boolean fromCache) {}

    private final Path directory;
    private final int batchSize;

    public CovarianceCache(Path directory) {
        this(directory, 16);
    }

    public CovarianceCache(Path directory, int batchSize) {
        this.directory = directory;
        this.batchSize = batchSize;
    }

    public Path directory() {
        return directory;
    }

    /**
     * C of {@code layer} over the first {@code sampleCount} documents of {@code corpus} on the base
     * model: read from the cache when present, else computed (reporting progress) and stored.
     */
    public Lookup get(LanguageModel lm, int layer, List<String> corpus, int sampleCount,
                      SecondMomentStats.Progress progress) {
        if (sampleCount < 1) {
            throw new IllegalArgumentException("mom2_n_samples must be at least 1, got " + sampleCount);
        }
        List<String> used = corpus.subList(0, Math.min(sampleCount, corpus.size()));
        String hash = corpusHash(used);
        Path file = fileFor(lm.fingerprint(), layer, hash, sampleCount);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("kind", "emend.second_moment/1");
        meta.put("fingerprint", lm.fingerprint());
        meta.put("layer", Integer.toString(layer));
        meta.put("corpus_sha256", hash);
        meta.put("sample_count", Integer.toString(sampleCount));
        if (Files.isRegularFile(file)) {
            SecondMoment cached = read(file, meta, layer);
            if (cached != null) {
                return new Lookup(cached, file, true);
            }
        }
        SecondMoment fresh = SecondMomentStats.compute(lm, lm.baseView(), layer, used, batchSize, progress);
        double[] c = fresh.toArray();
        float[] f = new float[c.length];
        for (int i = 0; i < c.length; i++) {
            f[i] = (float) c[i];
            c[i] = f[i];
        }
        meta.put("token_count", Long.toString(fresh.tokenCount()));
        try {
            Files.createDirectories(directory);
            Map<String, SafetensorsWriter.FloatTensor> tensors = new LinkedHashMap<>();
            tensors.put(TENSOR, new SafetensorsWriter.FloatTensor(f, new long[] {fresh.dim(), fresh.dim()}));
            SafetensorsWriter.writeFloats(file, tensors, meta, SafetensorsWriter.Precision.F32);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write second-moment cache: " + e.getMessage(), e);
        }
        return new Lookup(new SecondMoment(layer, fresh.dim(), fresh.tokenCount(), c), file, false);
    }

    /** The cache file for a key; the fingerprint is made file-name safe. */
    public Path fileFor(String fingerprint, int layer, String corpusHash, int sampleCount) {
        String fp = fingerprint.replaceAll("[^A-Za-z0-9]+", "-");
        return directory.resolve("mom2-" + fp + "-layer" + layer + "-" + corpusHash.substring(0, 16) + "-n" + sampleCount
                + ".safetensors");
    }

    /** SHA-256 over the documents, each length-prefixed so that boundaries count. */
    public static String corpusHash(List<String> documents) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String d : documents) {
                byte[] b = d.getBytes(StandardCharsets.UTF_8);
                md.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SecondMoment read(Path file, Map<String, String> expected, int layer) {
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            Map<String, String> meta = sf.metadata();
            for (var e : expected.entrySet()) {
                if (!e.getValue().equals(meta.get(e.getKey()))) {
                    LOG.warn("{}: metadata '{}' is {} but the key says {}; recomputing", file, e.getKey(),
                            meta.get(e.getKey()), e.getValue());
                    return null;
                }
            }
            long[] shape = sf.info(TENSOR).shape();
            float[] f = sf.loadFloats(TENSOR);
            double[] c = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                c[i] = f[i];
            }
            return new SecondMoment(layer, (int) shape[0], Long.parseLong(meta.getOrDefault("token_count", "0")), c);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: unreadable second-moment cache ({}); recomputing", file, e.getMessage());
            return null;
        }
    }
}
