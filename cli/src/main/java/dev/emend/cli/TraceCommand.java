package dev.emend.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.trace.CausalTracer;
import dev.emend.core.trace.TraceNoise;
import dev.emend.core.trace.TraceResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Causal tracing (ROME): where the model carries a fact from the subject to the answer.",
            "Corrupts the subject's input embeddings with Gaussian noise (sigma = 3 x the std of the subjects' token "
                + "embeddings in the model's facts.json, else of the whole embedding matrix; fixed seed), then restores "
                + "the clean state at one (layer, token) at a time and reads p(answer) at the last position.",
            "Writes trace-block.png, trace-mlp.png and trace-attention.png (tokens x layers) and prints the grids."})
final class TraceCommand implements Callable<Integer> {
    enum Format { table, json }

    @Mixin
    ModelOption modelOption;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "Prompt, e.g. \"The capital of France is\".")
    String prompt;

    @Option(names = {"-s", "--subject"}, required = true, paramLabel = "TEXT",
            description = "The subject: an exact substring of PROMPT whose tokens are corrupted, e.g. \"France\".")
    String subject;

    @Option(names = {"-t", "--target"}, paramLabel = "TEXT",
            description = "Answer to trace (its first token). Default: the model's own next-token prediction.")
    String target;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".",
            description = "Directory for the PNG heatmaps (default: the working directory).")
    Path outDir;

    @Option(names = "--samples", defaultValue = "10", description = "Noise samples per restoration (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--window", defaultValue = "0",
            description = "Layers restored together in the MLP/attention grids; 0 = max(1, round(layers*10/48)).")
    int window;

    @Option(names = "--seed", defaultValue = "1", description = "Noise seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--format", defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (samples < 1 || samples > 100) {
            throw new IllegalArgumentException("--samples must be 1-100, got " + samples);
        }
        try (LanguageModel lm = modelOption.load()) {
            int layers = lm.config().numLayers();
            int w = window == 0 ? CausalTracer.defaultWindow(layers) : window;
            if (w < 1 || w > layers) {
                throw new IllegalArgumentException("--window must be 1-" + layers + ", got " + window);
            }
            TraceNoise noise = TraceNoise.forModel(lm, modelOption.dir());
            CausalTracer tracer = new CausalTracer(lm, samples, 3.0, seed, w).withEmbeddingStd(noise.std());
            TraceResult r = tracer.trace(prompt, subject, target);
            List<String> labels = new ArrayList<>();
            for (int t = 0; t < r.tokens().size(); t++) {
                labels.add(Heatmaps.tokenLabel(r.tokens().get(t), t >= r.subjectStart() && t < r.subjectEnd()));
            }
            String answer = r.answer().strip();
            String sub = String.format(Locale.ROOT, "p(%s): clean %.3f, corrupted %.3f; %d samples, noise std %.3f",
                    answer, r.pClean(), r.pCorrupt(), r.samples(), r.noiseStd());
            List<Path> written = new ArrayList<>();
            for (TraceResult.Kind k : TraceResult.Kind.values()) {
                String name = k.name().toLowerCase(Locale.ROOT);
                String title = switch (k) {
                    case BLOCK -> "Impact of restoring state after corrupted input";
                    case MLP -> "Impact of restoring MLP after corrupted input";
                    case ATTENTION -> "Impact of restoring attention after corrupted input";
                };
                String x = k == TraceResult.Kind.BLOCK ? "single restored layer"
                        : "center of interval of " + r.window() + " restored " + (k == TraceResult.Kind.MLP ? "MLP" : "attention")
                                + " layer" + (r.window() == 1 ? "" : "s");
                Path png = outDir.resolve("trace-" + name + ".png");
                Heatmaps.write(png, title, sub, x, "p(" + answer + ")", labels, transpose(r.grid(k)), r.pCorrupt(),
                        Math.max(r.pClean(), max(r.grid(k))), Heatmaps.colour(name));
                written.add(png);
            }
            if (format == Format.json) {
                out.println(json(r, noise));
            } else {
                out.printf(Locale.ROOT, "prompt %s, subject tokens %d-%d, answer '%s' (id %d)%n", quote(prompt),
                        r.subjectStart(), r.subjectEnd() - 1, r.answer(), r.answerId());
                out.printf(Locale.ROOT, "p_clean %.4f, p_corrupted %.4f, noise std %.4f (3 x %.4f, %s), %d samples, window %d%n",
                        r.pClean(), r.pCorrupt(), r.noiseStd(), noise.std(), noise.source(), r.samples(), r.window());
                for (TraceResult.Kind k : TraceResult.Kind.values()) {
                    out.printf(Locale.ROOT, "%n%s restored: p(answer), rows = tokens, columns = layers%n", k);
                    StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-16s", "token"));
                    for (int l = 0; l < layers; l++) {
                        h.append(String.format(Locale.ROOT, " %6d", l));
                    }
                    out.println(h);
                    for (int t = 0; t < labels.size(); t++) {
                        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-16s", labels.get(t)));
                        for (int l = 0; l < layers; l++) {
                            row.append(String.format(Locale.ROOT, " %6.3f", r.grid(k)[l][t]));
                        }
                        out.println(row);
                    }
                }
                out.printf(Locale.ROOT, "%ntraced in %.2f s%n", r.millis() / 1000);
            }
            for (Path p : written) {
                err.println("wrote " + p.toAbsolutePath().normalize());
            }
            err.flush();
            return 0;
        }
    }

    static double max(float[][] g) {
        double m = Double.NEGATIVE_INFINITY;
        for (float[] row : g) {
            for (float v : row) {
                m = Math.max(m, v);
            }
        }
        return m;
    }

    /** {@code [layer][token]} floats as doubles (the heatmap takes {@code [column][row]}). */
    static double[][] transpose(float[][] g) {
        double[][] out = new double[g.length][];
        for (int l = 0; l < g.length; l++) {
            out[l] = new double[g[l].length];
            for (int t = 0; t < g[l].length; t++) {
                out[l][t] = g[l][t];
            }
        }
        return out;
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    private String json(TraceResult r, TraceNoise noise) {
        JsonObject o = new JsonObject();
        o.addProperty("prompt", prompt);
        o.addProperty("subject", subject);
        JsonArray tokens = new JsonArray();
        r.tokens().forEach(tokens::add);
        o.add("tokens", tokens);
        o.addProperty("subject_start", r.subjectStart());
        o.addProperty("subject_end", r.subjectEnd());
        o.addProperty("answer", r.answer());
        o.addProperty("answer_id", r.answerId());
        o.addProperty("p_clean", r.pClean());
        o.addProperty("p_corrupted", r.pCorrupt());
        o.addProperty("samples", r.samples());
        o.addProperty("window", r.window());
        o.addProperty("noise_std", r.noiseStd());
        o.addProperty("noise_source", noise.source());
        o.addProperty("trace_ms", r.millis());
        for (TraceResult.Kind k : TraceResult.Kind.values()) {
            JsonArray rows = new JsonArray();
            for (float[] row : r.grid(k)) {
                JsonArray a = new JsonArray();
                for (float v : row) {
                    a.add(v);
                }
                rows.add(a);
            }
            o.add(k.name().toLowerCase(Locale.ROOT), rows);
        }
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o);
    }
}
