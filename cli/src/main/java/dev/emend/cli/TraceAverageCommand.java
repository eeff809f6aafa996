package dev.emend.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.trace.CausalTracer;
import dev.emend.core.trace.FactPrompts;
import dev.emend.core.trace.FactTraceStudy;
import dev.emend.core.trace.TraceAverage;
import dev.emend.core.trace.TraceNoise;
import dev.emend.core.trace.TraceResult;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "trace-average", mixinStandardHelpOptions = true,
        description = {"Causal traces averaged over facts of the model's facts.json, and knowledge overlap.",
            "Traces N facts (one template each, answer = the true object), averages the indirect effect "
                + "(p_restored - p_corrupted) per layer and token kind (first/middle/last subject token, first after, "
                + "further, last token), and writes trace-average-{block,mlp,attention}.png and trace-average.json.",
            "With --pairs P: Jaccard overlap of the top-k trace units and top-k MLP neurons (|activation x "
                + "d p/d activation|) for P pairs of unrelated facts and P same-relation pairs (mean, quartiles).",
            "--from FILE only redraws the PNGs from a saved trace-average.json (or TraceProbe --json)."})
final class TraceAverageCommand implements Callable<Integer> {
    @Mixin
    ModelOption modelOption;

    @Option(names = "--facts", paramLabel = "FILE", description = "emend-facts file (default: <model>/facts.json).")
    Path facts;

    @Option(names = {"-n", "--count"}, defaultValue = "200", description = "Facts to trace (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", defaultValue = "1", description = "Shuffle and noise seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--samples", defaultValue = "10", description = "Noise samples (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--pairs", defaultValue = "0", description = "Fact pairs for the overlap (default: ${DEFAULT-VALUE} = none).")
    int pairs;

    @Option(names = "--unit-k", defaultValue = "5", description = "Top-k trace units per fact (default: ${DEFAULT-VALUE}).")
    int unitK;

    @Option(names = "--neuron-k", defaultValue = "50", description = "Top-k MLP neurons per fact (default: ${DEFAULT-VALUE}).")
    int neuronK;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Output directory (default: .).")
    Path out;

    @Option(names = "--from", paramLabel = "FILE", description = "Redraw from a saved trace-average.json; traces nothing.")
    Path from;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter pw = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String json;
        if (from != null) {
            json = Files.readString(from);
        } else {
            if (count < 1) {
                throw new IllegalArgumentException("--count must be >= 1, got " + count);
            }
            Path factsFile = facts != null ? facts : modelOption.dir().resolve("facts.json");
            if (!Files.isRegularFile(factsFile)) {
                throw new IllegalArgumentException("no facts file at " + factsFile + "; pass --facts FILE");
            }
            List<FactPrompts.Fact> list = FactPrompts.load(factsFile, seed);
            try (LanguageModel lm = modelOption.load()) {
                TraceNoise noise = TraceNoise.forModel(lm, modelOption.dir());
                CausalTracer tracer = new CausalTracer(lm, samples, 3.0, seed, CausalTracer.defaultWindow(lm.config().numLayers()))
                        .withEmbeddingStd(noise.std());
                java.io.PrintStream progress = new java.io.PrintStream(new java.io.OutputStream() {
                    @Override
                    public void write(int b) {
                        err.write(b);
                        if (b == '\n') {
                            err.flush();
                        }
                    }
                }, true, java.nio.charset.StandardCharsets.UTF_8);
                FactTraceStudy.Result res = FactTraceStudy.run(lm, tracer, list, count, pairs, unitK, neuronK, seed, progress);
                TraceAverage avg = res.average();
                pw.printf(Locale.ROOT, "%d facts traced (%d skipped), p_clean %.4f (p>0.5 in %d), p_corrupted %.4f, "
                        + "noise std %.4f (%s), %d samples, window %d%n", avg.traces(), res.skipped(), avg.meanPClean(),
                        avg.known(), avg.meanPCorrupt(), noise.std(), noise.source(), samples, tracer.window());
                for (TraceResult.Kind k : TraceResult.Kind.values()) {
                    pw.printf(Locale.ROOT, "%nmean indirect effect, %s restored%n%s", k, avg.table(k));
                }
                int[] best = avg.strongest(TraceResult.Kind.MLP);
                pw.printf(Locale.ROOT, "%nstrongest MLP effect: layer %d, %s%n", best[0], TraceAverage.TOKEN_KINDS[best[1]]);
                pw.printf(Locale.ROOT, "seconds per trace: %.3f wall, %.3f CPU%n", avg.meanMillis() / 1000,
                        avg.meanCpuMillis() / 1000);
                if (res.overlap() != null) {
                    pw.println();
                    pw.print(res.overlap().report());
                }
                json = FactTraceStudy.toJson(res, modelOption.dir().toString(), tracer, noise.source());
                Files.createDirectories(out);
                Files.writeString(out.resolve("trace-average.json"), json);
                err.println("wrote " + out.resolve("trace-average.json").toAbsolutePath().normalize());
            }
        }
        draw(JsonParser.parseString(json).getAsJsonObject(), err);
        pw.flush();
        return 0;
    }

    private void draw(JsonObject o, PrintWriter err) throws java.io.IOException {
        List<String> kinds = o.getAsJsonArray("token_kinds").asList().stream().map(e -> e.getAsString()).toList();
        String sub = String.format(Locale.ROOT, "mean over %d facts: p_clean %.3f, p_corrupted %.3f; window %d",
                o.get("traces").getAsInt(), o.get("mean_p_clean").getAsDouble(), o.get("mean_p_corrupt").getAsDouble(),
                o.get("window").getAsInt());
        for (String kind : new String[] {"block", "mlp", "attention"}) {
            JsonArray rows = o.getAsJsonArray(kind);
            double[][] grid = new double[rows.size()][];
            for (int l = 0; l < rows.size(); l++) {
                JsonArray r = rows.get(l).getAsJsonArray();
                grid[l] = new double[r.size()];
                for (int c = 0; c < r.size(); c++) {
                    grid[l][c] = r.get(c).getAsDouble();
                }
            }
            double hi = Arrays.stream(grid).flatMapToDouble(Arrays::stream).max().orElse(1);
            double lo = Math.min(0, Arrays.stream(grid).flatMapToDouble(Arrays::stream).min().orElse(0));
            String name = switch (kind) {
                case "mlp" -> "MLP";
                case "attention" -> "attention";
                default -> "state";
            };
            Path png = out.resolve("trace-average-" + kind + ".png");
            Heatmaps.write(png, "Average indirect effect of restoring " + name, sub,
                    kind.equals("block") ? "single restored layer" : "center of restored " + name + " layer window",
                    "AIE", kinds, grid, lo, hi, Heatmaps.colour(kind));
            err.println("wrote " + png.toAbsolutePath().normalize());
        }
        err.flush();
    }
}
