package dev.emend.mastery.alphaedit;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.safetensors.SafetensorsFile;
import dev.emend.core.safetensors.SafetensorsWriter;
import dev.emend.mastery.stats.CovarianceCache;
import dev.emend.mastery.stats.SecondMomentStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On-disk cache of AlphaEdit's null-space projectors, one safetensors file per (model
 * fingerprint, layer, corpus hash, sample count, nullspace_threshold), next to (and computed from)
 * the {@link CovarianceCache}'s C. Stores Û (d_ff × r) and the spectrum as F32 (the writer's
 * widest type; Û stays orthonormal to ~1e-7, far below the threshold's effect); written to a
 * temporary sibling and moved into place by the writer; a file whose metadata does not match its
 * key, or that cannot be read, is recomputed.
 */
public final class ProjectorCache {
    private static final Logger LOG = LoggerFactory.getLogger(ProjectorCache.class);
    private static final String BASIS = "nullspace_basis";
    private static final String VALUES = "eigenvalues";

    /** Progress of a lookup: the stage ("C" while the corpus is read, then "householder", "ql") and how far. */
    @FunctionalInterface
    public interface Progress {
        void update(String stage, long done, long total);

        Progress NONE = (s, d, t) -> { };
    }

    public record Lookup(NullSpaceProjector projector, Path file, boolean fromCache) {}

    private final CovarianceCache covariances;
    private final Path directory;

    public ProjectorCache(CovarianceCache covariances) {
        this(covariances, covariances.directory());
    }

    public ProjectorCache(CovarianceCache covariances, Path directory) {
        this.covariances = covariances;
        this.directory = directory;
    }

    public Lookup get(LanguageModel lm, int layer, List<String> corpus, int sampleCount, double threshold, Progress progress) {
        if (!(threshold > 0)) {
            throw new IllegalArgumentException("nullspace_threshold must be > 0, got " + threshold);
        }
        List<String> used = corpus.subList(0, Math.min(sampleCount, corpus.size()));
        String hash = CovarianceCache.corpusHash(used);
        Path file = fileFor(lm.fingerprint(), layer, hash, sampleCount, threshold);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("kind", "emend.alphaedit_nullspace/1");
        meta.put("fingerprint", lm.fingerprint());
        meta.put("layer", Integer.toString(layer));
        meta.put("corpus_sha256", hash);
        meta.put("sample_count", Integer.toString(sampleCount));
        meta.put("nullspace_threshold", Double.toString(threshold));
        if (Files.isRegularFile(file)) {
            NullSpaceProjector cached = read(file, meta, layer, threshold);
            if (cached != null) {
                return new Lookup(cached, file, true);
            }
        }
        SecondMomentStats.Progress cp = (done, total, tokens) -> progress.update("C", done, total);
        CovarianceCache.Lookup c = covariances.get(lm, layer, corpus, sampleCount, cp);
        NullSpaceProjector p = NullSpaceProjector.of(c.moment(), threshold, (phase, done, total) ->
                progress.update(phase, done, total));
        meta.put("rank", Integer.toString(p.rank()));
        try {
            Files.createDirectories(directory);
            Map<String, SafetensorsWriter.FloatTensor> tensors = new LinkedHashMap<>();
            tensors.put(BASIS, new SafetensorsWriter.FloatTensor(toFloat(p.basis()), new long[] {p.dff(), p.rank()}));
            tensors.put(VALUES, new SafetensorsWriter.FloatTensor(toFloat(p.eigenvalues()), new long[] {p.dff()}));
            SafetensorsWriter.writeFloats(file, tensors, meta, SafetensorsWriter.Precision.F32);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write null-space projector cache: " + e.getMessage(), e);
        }
        // Return what a later hit returns (the float32 round trip), so hit and miss agree.
        double[] basis = toDouble(toFloat(p.basis()));
        double[] values = toDouble(toFloat(p.eigenvalues()));
        return new Lookup(new NullSpaceProjector(layer, p.dff(), p.rank(), threshold, basis, values), file, false);
    }

    public Path fileFor(String fingerprint, int layer, String corpusHash, int sampleCount, double threshold) {
        String fp = fingerprint.replaceAll("[^A-Za-z0-9]+", "-");
        String th = String.format(Locale.ROOT, "%.3e", threshold).replace('+', 'p').replace('-', 'm');
        return directory.resolve("nullspace-" + fp + "-layer" + layer + "-" + corpusHash.substring(0, 16) + "-n" + sampleCount
                + "-t" + th + ".safetensors");
    }

    private static NullSpaceProjector read(Path file, Map<String, String> expected, int layer, double threshold) {
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            Map<String, String> meta = sf.metadata();
            for (var e : expected.entrySet()) {
                if (!e.getValue().equals(meta.get(e.getKey()))) {
                    LOG.warn("{}: metadata '{}' is {} but the key says {}; recomputing", file, e.getKey(),
                            meta.get(e.getKey()), e.getValue());
                    return null;
                }
            }
            long[] shape = sf.info(BASIS).shape();
            double[] basis = toDouble(sf.loadFloats(BASIS));
            double[] values = toDouble(sf.loadFloats(VALUES));
            return new NullSpaceProjector(layer, (int) shape[0], (int) shape[1], threshold, basis, values);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: unreadable null-space projector cache ({}); recomputing", file, e.getMessage());
            return null;
        }
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
