package dev.emend.mastery.trace;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Causal tracing over facts of an emend-facts file. Facts are shuffled with the seed; each gets
 * one of its relation's templates (drawn with the same seed) among those that put the subject
 * before the end, and is traced with the true object's first token as the answer. Prints the
 * mean indirect effect (p_restored − p_corrupt) per layer and token kind for block, MLP and
 * attention restoration, where the strongest MLP effect lies, and seconds per trace.
 *
 * <p>Token kinds (ROME's Figure 2 grouping): first subject token, middle subject tokens, last
 * subject token, first subsequent token, further tokens, last token. A one-token subject counts
 * as "last subject token"; a first subsequent token that is also the last counts as "last
 * token"; tokens before the subject are left out. Within one fact the tokens of a kind are
 * averaged first, then the facts that have that kind are averaged.
 *
 * <pre>
 * TraceProbe MODEL_DIR FACTS_JSON [N=50] [SEED=1] [--samples=10] [--noise=3] [--window=W]
 * </pre>
 */
public final class TraceProbe {
    static final String[] KINDS = {"first subj", "mid subj", "last subj", "first after", "further", "last"};

    private TraceProbe() {
    }

    /** Kind index of token {@code t} in a trace, or -1 for tokens before the subject. */
    static int kind(int t, int start, int end, int len) {
        if (t == len - 1) {
            return 5;
        }
        if (t < start) {
            return -1;
        }
        if (t == end - 1) {
            return 2;
        }
        if (t == start) {
            return 0;
        }
        if (t < end) {
            return 1;
        }
        return t == end ? 3 : 4;
    }

    public static void main(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 2, 4,
                "TraceProbe MODEL_DIR FACTS_JSON [N=50] [SEED=1] [--samples=10] [--noise=3] [--window=W]");
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        JsonObject root = JsonParser.parseString(Files.readString(Path.of(pos.get(1)))).getAsJsonObject();
        int n = pos.size() > 2 ? Integer.parseInt(pos.get(2)) : 50;
        long seed = pos.size() > 3 ? Long.parseLong(pos.get(3)) : 1L;
        Map<String, List<String>> templates = new HashMap<>();
        for (JsonElement e : root.getAsJsonArray("relations")) {
            JsonObject r = e.getAsJsonObject();
            List<String> ok = new ArrayList<>();
            for (JsonElement t : r.getAsJsonArray("templates")) {
                String s = t.getAsString();
                int at = s.indexOf("{}");
                if (at >= 0 && at + 2 < s.length()) {
                    ok.add(s);
                }
            }
            templates.put(r.get("id").getAsString(), ok);
        }
        List<JsonObject> facts = new ArrayList<>();
        JsonArray fa = root.getAsJsonArray("facts");
        for (JsonElement e : fa) {
            facts.add(e.getAsJsonObject());
        }
        Random rnd = new Random(seed);
        Collections.shuffle(facts, rnd);

        try (LanguageModel lm = Checkpoints.load(modelDir)) {
            int layers = lm.config().numLayers();
            int window = opt.containsKey("window") ? Integer.parseInt(opt.get("window"))
                    : CausalTracer.defaultWindow(layers);
            CausalTracer tracer = new CausalTracer(lm, Integer.parseInt(opt.getOrDefault("samples", "10")),
                    Double.parseDouble(opt.getOrDefault("noise", "3")), seed, window);
            TraceResult.Kind[] kinds = TraceResult.Kind.values();
            double[][][] sum = new double[kinds.length][layers][KINDS.length];
            int[] kindFacts = new int[KINDS.length];
            double pClean = 0;
            double pCorrupt = 0;
            int top1 = 0;
            int done = 0;
            int skipped = 0;
            double seconds = 0;
            for (JsonObject f : facts) {
                if (done >= n) {
                    break;
                }
                List<String> ts = templates.get(f.get("relation").getAsString());
                if (ts == null || ts.isEmpty()) {
                    skipped++;
                    continue;
                }
                String subject = f.get("subject").getAsString();
                String prompt = ts.get(rnd.nextInt(ts.size())).replace("{}", subject);
                TraceResult r;
                long t0 = System.nanoTime();
                try {
                    r = tracer.trace(prompt, subject, f.get("object").getAsString());
                } catch (IllegalArgumentException ex) {
                    skipped++;
                    continue;
                }
                seconds += (System.nanoTime() - t0) / 1e9;
                done++;
                pClean += r.pClean();
                pCorrupt += r.pCorrupt();
                if (r.pClean() > 0.5f) {
                    top1++;
                }
                int len = r.tokens().size();
                boolean[] has = new boolean[KINDS.length];
                for (int k = 0; k < kinds.length; k++) {
                    float[][] ie = r.indirectEffect(kinds[k]);
                    for (int l = 0; l < layers; l++) {
                        double[] s = new double[KINDS.length];
                        int[] c = new int[KINDS.length];
                        for (int t = 0; t < len; t++) {
                            int kd = kind(t, r.subjectStart(), r.subjectEnd(), len);
                            if (kd >= 0) {
                                s[kd] += ie[l][t];
                                c[kd]++;
                            }
                        }
                        for (int kd = 0; kd < KINDS.length; kd++) {
                            if (c[kd] > 0) {
                                sum[k][l][kd] += s[kd] / c[kd];
                                has[kd] = true;
                            }
                        }
                    }
                }
                for (int kd = 0; kd < KINDS.length; kd++) {
                    if (has[kd]) {
                        kindFacts[kd]++;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "model %s (%d layers), %d facts traced (%d skipped), seed %d, "
                    + "%s samples, noise %s x std of the prompt's input embeddings, window %d%n",
                    modelDir, layers, done, skipped, seed, opt.getOrDefault("samples", "10"),
                    opt.getOrDefault("noise", "3"), window);
            System.out.printf(Locale.ROOT, "mean p_clean(object) %.4f (p>0.5 in %d of %d), mean p_corrupt %.4f%n",
                    pClean / Math.max(1, done), top1, done, pCorrupt / Math.max(1, done));
            StringBuilder counts = new StringBuilder("facts per token kind:");
            for (int kd = 0; kd < KINDS.length; kd++) {
                counts.append(' ').append(KINDS[kd]).append('=').append(kindFacts[kd]);
            }
            System.out.println(counts);
            double best = Double.NEGATIVE_INFINITY;
            int bestL = -1;
            int bestK = -1;
            for (int k = 0; k < kinds.length; k++) {
                System.out.printf(Locale.ROOT, "%nmean indirect effect, %s restored (rows: layer)%n", kinds[k]);
                StringBuilder h = new StringBuilder("| layer |");
                StringBuilder sep = new StringBuilder("|---:|");
                for (String name : KINDS) {
                    h.append(' ').append(name).append(" |");
                    sep.append("---:|");
                }
                System.out.println(h);
                System.out.println(sep);
                for (int l = 0; l < layers; l++) {
                    StringBuilder row = new StringBuilder("| " + l + " |");
                    for (int kd = 0; kd < KINDS.length; kd++) {
                        double v = kindFacts[kd] == 0 ? Double.NaN : sum[k][l][kd] / kindFacts[kd];
                        row.append(String.format(Locale.ROOT, " %.4f |", v));
                        if (kinds[k] == TraceResult.Kind.MLP && kindFacts[kd] > 0 && v > best) {
                            best = v;
                            bestL = l;
                            bestK = kd;
                        }
                    }
                    System.out.println(row);
                }
            }
            System.out.printf(Locale.ROOT, "%nstrongest MLP effect: layer %d, %s (%.4f)%n", bestL,
                    bestK < 0 ? "-" : KINDS[bestK], best);
            System.out.printf(Locale.ROOT, "seconds per trace: %.3f%n", seconds / Math.max(1, done));
        }
    }
}
