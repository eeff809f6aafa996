package dev.emend.mastery.memit;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.edit.Progress;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.StatsCorpus;
import dev.emend.mastery.linalg.Cholesky;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.stats.CovarianceCache;
import dev.emend.mastery.stats.SecondMoment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Why a MEMIT batch falls short of its single edits: per edited layer, how much of each request's
 * residual rᵢ the batch update writes at its own key, and what the keys look like under C.
 *
 * <pre>
 * MemitKeysProbe MODEL_DIR CASES_JSON N [--stats-dir=DIR] [--corpus=FILE] [--set=k=v;k=v] [--pairs=0.5]
 * </pre>
 * One batch of the first N cases with the model's MEMIT defaults (and {@code --set} overrides),
 * C from the service's corpus (or {@code --corpus}) as {@code SequentialProbe}. With M = λC + KKᵀ and
 * P = KᵀM⁻¹K (n × n), the update writes ΔW kᵢ = Σⱼ rⱼ Pⱼᵢ at key i. Printed per layer:
 * <ul>
 *   <li>kᵀC⁻¹k: the key's whitened energy, mean over requests, beside d_ff (its mean over the corpus
 *       keys C was estimated from); with one request Pᵢᵢ = g/(1+g), g = kᵀC⁻¹k / λ;</li>
 *   <li>|cos|: mean absolute C⁻¹-cosine between two requests' keys, and the pairs above
 *       {@code --pairs} (printed with their subjects);</li>
 *   <li>Pᵢᵢ, the written share ⟨ΔW kᵢ, rᵢ⟩/‖rᵢ‖², and the other requests' part
 *       ‖Σⱼ≠ᵢ rⱼ Pⱼᵢ‖/‖rᵢ‖, means over requests (the shares over those with rᵢ ≠ 0).</li>
 * </ul>
 */
public final class MemitKeysProbe {
    private MemitKeysProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, MemitKeysProbe::probe)) {
            System.exit(2);
        }
    }

    private static final String USAGE =
            "MemitKeysProbe MODEL_DIR CASES_JSON N [--stats-dir=DIR] [--corpus=FILE] [--set=k=v;k=v] [--pairs=0.5]";

    private record Layer(int layer, double[][] keys, float[] b) {}

    /**
     * One edited layer's figures (means over the batch's requests); {@code pairs}: the request
     * pairs whose C⁻¹-cosine is above the probe's bound, as "cos subject | subject".
     */
    record LayerStats(int layer, int dff, double lambda, double whitenedEnergy, double meanAbsCos, List<String> pairs,
                      double pii, double written, double others, int zeroResiduals) {}

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 3, USAGE);
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        if (!Files.isRegularFile(Path.of(pos.get(1)))) {
            throw new ProbeArgs.UsageException(USAGE + " (CASES_JSON " + pos.get(1) + " is not a file)");
        }
        JsonArray cases = JsonParser.parseString(Files.readString(Path.of(pos.get(1)))).getAsJsonArray();
        int requested;
        try {
            requested = Integer.parseInt(pos.get(2));
        } catch (NumberFormatException e) {
            requested = 0;
        }
        if (requested < 1) {
            throw new ProbeArgs.UsageException(USAGE + " (N must be a whole number of at least 1, got " + pos.get(2) + ")");
        }
        int n = Math.min(requested, cases.size());
        double bound = Double.parseDouble(opt.getOrDefault("pairs", "0.5"));
        Path statsDir = Path.of(opt.getOrDefault("stats-dir", System.getProperty("java.io.tmpdir") + "/emend-rome-stats"));
        List<RomeRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonObject c = cases.get(i).getAsJsonObject();
            requests.add(new RomeRequest(c.get("prompt").getAsString(), c.get("subject").getAsString(),
                    c.get("target_new").getAsString()));
        }
        try (LanguageModel lm = Checkpoints.load(modelDir);
             MasteryEngine engine = new MasteryEngine(lm, modelDir.getFileName().toString(), new CovarianceCache(statsDir),
                     StatsCorpus.lazy(modelDir, Optional.ofNullable(opt.get("corpus")).map(Path::of)))) {
            MemitHyperParams hp = MemitMethod.hyperParams(engine,
                    Hparams.resolve(engine.method("MEMIT"), ProbeArgs.hparams(opt.getOrDefault("set", ""))));
            if (!hp.mom2Adjustment()) {
                throw new ProbeArgs.UsageException(USAGE + " (the probe measures the keys against C: leave mom2_adjustment on)");
            }
            double[] zP = new double[1];
            List<LayerStats> stats = measure(lm, engine, hp, requests, bound, zP);
            System.out.printf(Locale.ROOT, "model %s, %d requests in one batch, layers %s, λ %.0f, z-step P(target) %.3f%n",
                    modelDir, n, hp.layers(), hp.mom2UpdateWeight(), zP[0]);
            System.out.println("| layer | kᵀC⁻¹k (mean) | d_ff | mean \\|cos\\| | pairs > " + bound
                    + " | Pᵢᵢ | written share | others' part |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            for (LayerStats l : stats) {
                System.out.printf(Locale.ROOT, "| %d | %.1f | %d | %.3f | %d | %.3f | %.3f | %.3f |%n", l.layer(),
                        l.whitenedEnergy(), l.dff(), l.meanAbsCos(), l.pairs().size(), l.pii(), l.written(), l.others());
            }
            stats.forEach(l -> l.pairs().forEach(p -> System.out.println("  layer " + l.layer() + ": " + p)));
            stats.stream().filter(l -> l.zeroResiduals() > 0).forEach(l -> System.out.println("  layer " + l.layer() + ": "
                    + l.zeroResiduals() + " request(s) with a zero residual (already predicted) left out of the shares"));
        }
    }

    /** Runs one MEMIT batch of {@code requests} on the unedited model and measures every edited layer. */
    static List<LayerStats> measure(LanguageModel lm, MasteryEngine engine, MemitHyperParams hp, List<RomeRequest> requests,
                                    double bound, double[] zProbability) {
        int n = requests.size();
        Map<Integer, SecondMoment> c = new HashMap<>();
        MemitEditor editor = new MemitEditor(lm, hp,
                l -> c.computeIfAbsent(l, x -> engine.secondMoment(x, hp.mom2NSamples(), Progress.NONE)));
        List<Layer> seen = new ArrayList<>();
        MemitUpdate u;
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            u = editor.compute(new ModelView(overlay, Hooks.NONE), requests, "MEMIT", (layer, dff, keys) -> {
                float[] b = editor.memitRightFactor(layer, dff, keys);
                seen.add(new Layer(layer, keys, b));
                return b;
            });
        }
        zProbability[0] = java.util.Arrays.stream(u.targetProbabilities()).average().orElse(0);
        List<LayerStats> out = new ArrayList<>();
        for (int li = 0; li < seen.size(); li++) {
            Layer l = seen.get(li);
            MemitUpdate.LayerDelta d = u.layers().get(li);
            int dff = l.keys()[0].length;
            int dModel = d.dModel();
            Cholesky whiten = Cholesky.factor(c.get(l.layer()).toArray(), dff, "C at layer " + l.layer());
            double[][] w = new double[n][];
            double[] g = new double[n];
            double gSum = 0;
            for (int i = 0; i < n; i++) {
                w[i] = whiten.solve(l.keys()[i]);
                g[i] = dot(w[i], l.keys()[i]);
                gSum += g[i];
            }
            double cosSum = 0;
            List<String> pairs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    double cos = Math.abs(dot(w[i], l.keys()[j])) / Math.sqrt(g[i] * g[j]);
                    cosSum += cos;
                    if (cos > bound) {
                        pairs.add(String.format(Locale.ROOT, "%.3f %s | %s", cos, requests.get(i).subject(),
                                requests.get(j).subject()));
                    }
                }
            }
            // P[j][i] = B_j · k_i
            double[][] p = new double[n][n];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int q = 0; q < dff; q++) {
                        s += l.b()[j * dff + q] * l.keys()[i][q];
                    }
                    p[j][i] = s;
                }
            }
            double pii = 0;
            double written = 0;
            double others = 0;
            int zero = 0;
            float[] r = d.a(); // R, d_model × n row-major
            for (int i = 0; i < n; i++) {
                double rr = 0;
                double rw = 0;
                double oo = 0;
                for (int q = 0; q < dModel; q++) {
                    double own = r[q * n + i];
                    double other = 0;
                    for (int j = 0; j < n; j++) {
                        if (j != i) {
                            other += r[q * n + j] * p[j][i];
                        }
                    }
                    rr += own * own;
                    rw += (other + own * p[i][i]) * own;
                    oo += other * other;
                }
                pii += p[i][i];
                if (rr == 0) {
                    zero++; // the z-step stopped at δ = 0 (the target was already predicted): nothing to write
                    continue;
                }
                written += rw / rr;
                others += Math.sqrt(oo / rr);
            }
            out.add(new LayerStats(l.layer(), dff, hp.mom2UpdateWeight(), gSum / n,
                    n > 1 ? cosSum / (n * (n - 1) / 2.0) : 0.0, List.copyOf(pairs), pii / n, n > zero ? written / (n - zero) : Double.NaN, n > zero ? others / (n - zero) : Double.NaN, zero));
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
