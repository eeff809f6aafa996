package dev.emend.factworld.trace;

import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.trace.CausalTracer;
import dev.emend.core.trace.FactPrompts;
import dev.emend.core.trace.FactTraceStudy;
import dev.emend.core.trace.TraceAverage;
import dev.emend.core.trace.TraceResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Causal tracing over facts of an emend-facts file ({@link FactPrompts}: shuffled with the seed,
 * one template each with the subject before the end, answer = the true object's first token).
 * Prints the mean indirect effect per layer and token kind ({@link TraceAverage}) for block, MLP
 * and attention restoration, where the strongest MLP effect lies, seconds per trace, and with
 * {@code --pairs=P} the knowledge overlap of P unrelated and P same-relation pairs
 * ({@link FactTraceStudy}).
 *
 * <p>Noise: {@code --std=vocab} (default: std of the whole token-embedding matrix, what the
 * service and {@code ./emend trace} use), {@code --std=subjects} (ROME: std of the token
 * embeddings of the subjects of all facts in the file) or a number.
 *
 * <pre>
 * TraceProbe MODEL_DIR FACTS_JSON [N=50] [SEED=1] [--samples=10] [--noise=3] [--window=W]
 *            [--std=vocab|subjects|X] [--pairs=0] [--unit-k=5] [--neuron-k=50] [--json=FILE]
 * </pre>
 * {@code --json} writes the averaged grids and overlap ({@link FactTraceStudy#toJson}) for
 * {@code ./emend trace-average --from=FILE} to draw.
 */
public final class TraceProbe {
    private TraceProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, TraceProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 2, 4,
                "TraceProbe MODEL_DIR FACTS_JSON [N=50] [SEED=1] [--samples=10] [--noise=3] "
                        + "[--window=W] [--std=vocab|subjects|X] [--pairs=0] [--unit-k=5] [--neuron-k=50] [--json=FILE]");
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        int n = pos.size() > 2 ? Integer.parseInt(pos.get(2)) : 50;
        long seed = pos.size() > 3 ? Long.parseLong(pos.get(3)) : 1L;
        List<FactPrompts.Fact> facts = FactPrompts.load(Path.of(pos.get(1)), seed);
        try (LanguageModel lm = Checkpoints.load(modelDir)) {
            int layers = lm.config().numLayers();
            int window = opt.containsKey("window") ? Integer.parseInt(opt.get("window"))
                    : CausalTracer.defaultWindow(layers);
            CausalTracer tracer = new CausalTracer(lm, Integer.parseInt(opt.getOrDefault("samples", "10")),
                    Double.parseDouble(opt.getOrDefault("noise", "3")), seed, window);
            double vocabStd = tracer.embeddingStd();
            double subjectStd = CausalTracer.subjectEmbeddingStd(lm, facts.stream().map(FactPrompts.Fact::subject).toList());
            String std = opt.getOrDefault("std", "vocab");
            if (std.equals("subjects")) {
                tracer = tracer.withEmbeddingStd(subjectStd);
            } else if (!std.equals("vocab")) {
                tracer = tracer.withEmbeddingStd(Double.parseDouble(std));
            }
            int pairs = Integer.parseInt(opt.getOrDefault("pairs", "0"));
            CausalTracer used = tracer;
            java.util.function.Consumer<FactTraceStudy.Result> partial = opt.containsKey("json") ? r -> {
                try {
                    java.nio.file.Files.writeString(Path.of(opt.get("json") + ".partial"),
                            FactTraceStudy.toJson(r, modelDir.toString(), used, std));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            } : null;
            FactTraceStudy.Result res = FactTraceStudy.run(lm, tracer, facts, n, pairs,
                    Integer.parseInt(opt.getOrDefault("unit-k", "5")), Integer.parseInt(opt.getOrDefault("neuron-k", "50")),
                    seed, System.err, partial);
            TraceAverage avg = res.average();
            System.out.printf(Locale.ROOT, "model %s (%d layers), %d facts traced (%d skipped), seed %d, %d samples, "
                    + "noise %s x embedding std %.4f (%s; vocab std %.4f, subjects std %.4f), window %d%n",
                    modelDir, layers, avg.traces(), res.skipped(), seed, tracer.samples(),
                    opt.getOrDefault("noise", "3"), tracer.embeddingStd(), std, vocabStd, subjectStd, window);
            System.out.printf(Locale.ROOT, "mean p_clean(object) %.4f (p>0.5 in %d of %d), mean p_corrupt %.4f%n",
                    avg.meanPClean(), avg.known(), avg.traces(), avg.meanPCorrupt());
            StringBuilder counts = new StringBuilder("facts per token kind:");
            for (int kd = 0; kd < TraceAverage.TOKEN_KINDS.length; kd++) {
                counts.append(' ').append(TraceAverage.TOKEN_KINDS[kd]).append('=').append(avg.tracesWithKind(kd));
            }
            System.out.println(counts);
            for (TraceResult.Kind k : TraceResult.Kind.values()) {
                System.out.printf(Locale.ROOT, "%nmean indirect effect, %s restored (rows: layer)%n%s", k, avg.table(k));
            }
            int[] best = avg.strongest(TraceResult.Kind.MLP);
            System.out.printf(Locale.ROOT, "%nstrongest MLP effect: layer %d, %s (%.4f)%n", best[0],
                    best[1] < 0 ? "-" : TraceAverage.TOKEN_KINDS[best[1]],
                    best[0] < 0 ? Double.NaN : avg.mean(TraceResult.Kind.MLP)[best[0]][best[1]]);
            System.out.printf(Locale.ROOT, "seconds per trace: %.3f wall, %.3f CPU of the tracing thread%n",
                    avg.meanMillis() / 1000, avg.meanCpuMillis() / 1000);
            if (res.overlap() != null) {
                System.out.println();
                System.out.print(res.overlap().report());
            }
            if (opt.containsKey("json")) {
                Path out = Path.of(opt.get("json"));
                java.nio.file.Files.writeString(out, FactTraceStudy.toJson(res, modelDir.toString(), tracer, std));
                System.out.println("wrote " + out);
            }
        }
    }
}
