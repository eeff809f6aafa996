package dev.emend.mastery.sequential;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.edit.Progress;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.mastery.alphaedit.AlphaEditEditor;
import dev.emend.mastery.alphaedit.AlphaEditHyperParams;
import dev.emend.mastery.alphaedit.AlphaEditMemory;
import dev.emend.mastery.alphaedit.AlphaEditUpdate;
import dev.emend.mastery.alphaedit.NullSpaceProjector;
import dev.emend.mastery.alphaedit.ProjectorCache;
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.memit.MemitHyperParams;
import dev.emend.mastery.memit.MemitUpdate;
import dev.emend.mastery.probe.SingleEditProbe;
import dev.emend.mastery.rome.RomeEditor;
import dev.emend.mastery.rome.RomeHyperParams;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.rome.RomeUpdate;
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
import java.util.function.IntFunction;

/**
 * Sequential (and batch) editing on a KnowEdit-format file: the first N cases are written one
 * batch of B after another into ONE overlay, each batch computed on the weights the previous ones
 * left, and all N are scored at the end against the unedited model with {@link SingleEditProbe}'s
 * metrics (Edit Succ, Generalization, Locality, ×100). N = B is a single batch edit. ROME always
 * edits one fact at a time; MEMIT and AlphaEdit take batches of B.
 *
 * <pre>
 * SequentialProbe MODEL_DIR CASES_JSON[,MORE_JSON...] N METHODS CORPUS_TXT [--batch=1] [--layers=0,1]
 *     [--rome-layer=0] [--stats-dir=DIR] [--samples=100000] [--lambda=10] [--l2=1] [--threshold=0.1]
 *     [--steps=60] [--lr=0.5] [--wd=1e-3] [--clamp=0.75] [--rome-clamp=8] [--kl=0.0625]
 *     [--fact-token=subject_last] [--templates=5x10]
 * </pre>
 * METHODS is a comma list of ROME, R-ROME, MEMIT, AlphaEdit; one table row each; {@code MEMIT@λ}
 * sets MEMIT's mom2_update_weight for that row (with one batch all rows share one z-step). Several case
 * files are concatenated in order (counterfact.json holds 300 cases).
 */
public final class SequentialProbe {
    private SequentialProbe() {
    }

    private static final String USAGE = "SequentialProbe MODEL_DIR CASES_JSON[,MORE_JSON...] N METHODS CORPUS_TXT [--batch=1]"
            + " [--layers=0,1] [--rome-layer=0] [--stats-dir=DIR] [--samples=100000] [--lambda=10] [--l2=1]"
            + " [--threshold=0.1] [--steps=60] [--lr=0.5] [--wd=1e-3] [--clamp=0.75] [--rome-clamp=8] [--kl=0.0625]"
            + " [--fact-token=subject_last] [--templates=5x10] [--score-at=10,20,...]";

    /** Writes a batch of requests into the overlay; returns the mean target probability of the z/δ-step. */
    @FunctionalInterface
    interface BatchEdit {
        double apply(OverlayWeights overlay, List<RomeRequest> batch);
    }

    public record Result(SingleEditProbe.Row row, int edits, int batch) {}

    /** Prints the z-step's progress of a large batch to stderr every 10 % (nothing for small batches). */
    private static Progress zProgress(int n) {
        long t0 = System.nanoTime();
        return n < 50 ? Progress.NONE : (stage, fraction) -> {
            if (Math.round(fraction * n) % Math.max(1, n / 10) == 0) {
                System.err.printf(Locale.ROOT, "  %s: %d/%d, %.0f s%n", stage, Math.round(fraction * n), n,
                        (System.nanoTime() - t0) / 1e9);
            }
        };
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, SequentialProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 5, USAGE);
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        JsonArray cases = new JsonArray();
        for (String f : pos.get(1).split(",")) {
            cases.addAll(JsonParser.parseString(Files.readString(Path.of(f.trim()))).getAsJsonArray());
        }
        int requested = Integer.parseInt(pos.get(2));
        int n = Math.min(requested, cases.size());
        if (n < requested) {
            System.err.printf(Locale.ROOT, "only %d cases in %s; measuring %d%n", cases.size(), pos.get(1), n);
        }
        List<String> methods = List.of(pos.get(3).split(","));
        // --score-at=10,20: also score after the first 10 and 20 edits (the same protocol with N = 10, 20)
        java.util.Set<Integer> scoreAt = new java.util.TreeSet<>();
        for (String k : opt.getOrDefault("score-at", "").split(",")) {
            if (!k.isBlank()) {
                scoreAt.add(Integer.parseInt(k.trim()));
            }
        }
        List<String> corpus = Files.readAllLines(Path.of(pos.get(4))).stream().filter(s -> !s.isBlank()).toList();
        Path statsDir = Path.of(opt.getOrDefault("stats-dir", System.getProperty("java.io.tmpdir") + "/emend-rome-stats"));
        int batch = Integer.parseInt(opt.getOrDefault("batch", "1"));
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        List<Integer> layers = new ArrayList<>();
        for (String l : opt.getOrDefault("layers", "0,1").split(",")) {
            layers.add(Integer.parseInt(l.trim()));
        }
        int romeLayer = Integer.parseInt(opt.getOrDefault("rome-layer", "0"));
        int samples = Integer.parseInt(opt.getOrDefault("samples", "100000"));
        int steps = Integer.parseInt(opt.getOrDefault("steps", "60"));
        double lr = Double.parseDouble(opt.getOrDefault("lr", "0.5"));
        double wd = Double.parseDouble(opt.getOrDefault("wd", "1e-3"));
        double clamp = Double.parseDouble(opt.getOrDefault("clamp", "0.75"));
        double kl = Double.parseDouble(opt.getOrDefault("kl", "0.0625"));
        String factToken = opt.getOrDefault("fact-token", "subject_last");
        String[] tpl = opt.getOrDefault("templates", "5x10").split("x");
        List<List<Integer>> templates = List.of(List.of(Integer.parseInt(tpl[0]), Integer.parseInt(tpl[1])));

        try (LanguageModel lm = Checkpoints.load(modelDir)) {
            int numLayers = lm.config().numLayers();
            int dff = lm.model().mlpDown(0).inFeatures();
            CovarianceCache cache = new CovarianceCache(statsDir);
            Map<Integer, SecondMoment> stats = new HashMap<>();
            IntFunction<SecondMoment> secondMoments = l -> stats.computeIfAbsent(l, x -> {
                long t0 = System.nanoTime();
                CovarianceCache.Lookup c = cache.get(lm, x, corpus, samples, (done, total, tokens) -> {
                    if (done == total || done % 2000 < 16) {
                        System.err.printf(Locale.ROOT, "  C layer %d: %d/%d documents%n", x, done, total);
                    }
                });
                System.err.printf(Locale.ROOT, "  C layer %d: %s in %.1f s (%d tokens, ridge %.3g)%n", x,
                        c.fromCache() ? "read from cache" : "computed", (System.nanoTime() - t0) / 1e9,
                        c.moment().tokenCount(), c.moment().ridge());
                return c.moment();
            });
            ProjectorCache projectorCache = new ProjectorCache(cache);
            // One batch on the unedited model: MEMIT's and AlphaEdit's z-steps (same settings, same
            // weights) give the same z, so the second method reuses the first one's.
            boolean oneBatch = batch >= n;
            MemitEditor.Targets[] shared = new MemitEditor.Targets[1];
            System.out.printf(Locale.ROOT, "model %s (%s, %d layers, d_model %d, d_ff %d), %d cases from %s, batch %d,"
                    + " corpus %d lines%n", modelDir, lm.fingerprint(), numLayers, lm.config().hiddenSize(), dff, n, pos.get(1),
                    batch, corpus.size());
            System.out.println("| method | layers | edits | batch | Edit Succ | Generalization | Locality | pre-edit Succ"
                    + " | s/edit | z-opt P(target) | settings |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
            for (String method : methods) {
                String spec = method.trim();
                // "MEMIT@100": MEMIT with λ (mom2_update_weight) 100, so one run compares several λ
                // on one shared z-step.
                String lambdaText = spec.contains("@") ? spec.substring(spec.indexOf('@') + 1) : null;
                String m = spec.contains("@") ? spec.substring(0, spec.indexOf('@')) : spec;
                BatchEdit edit;
                String settings;
                String layerText;
                int b = batch;
                switch (m.toUpperCase(Locale.ROOT)) {
                    case "ROME", "R-ROME" -> {
                        RomeHyperParams base = RomeHyperParams.smallModel(romeLayer, numLayers);
                        double romeClamp = Double.parseDouble(opt.getOrDefault("rome-clamp", "8"));
                        RomeHyperParams hp = new RomeHyperParams(List.of(romeLayer), factToken, steps, lr, numLayers - 1, wd,
                                romeClamp, kl, true, base.mom2UpdateWeight(), samples, templates, m.equalsIgnoreCase("R-ROME"));
                        RomeEditor ed = new RomeEditor(lm, hp, secondMoments);
                        secondMoments.apply(romeLayer);
                        ed.contextTemplates();
                        edit = (overlay, reqs) -> {
                            double p = 0;
                            for (RomeRequest r : reqs) {
                                RomeUpdate u = ed.edit(overlay, Hooks.NONE, r);
                                p += u.targetProbability();
                            }
                            return p / reqs.size();
                        };
                        b = 1;
                        layerText = "[" + romeLayer + "]";
                        settings = String.format(Locale.ROOT, "clamp %.3g", romeClamp);
                    }
                    case "MEMIT" -> {
                        double lambda = Double.parseDouble(lambdaText != null ? lambdaText : opt.getOrDefault("lambda",
                                Double.toString(MemitHyperParams.smallModel(layers, numLayers, dff).mom2UpdateWeight())));
                        MemitHyperParams hp = new MemitHyperParams(layers, factToken, steps, lr, numLayers - 1, wd, clamp, kl,
                                true, lambda, samples, templates);
                        MemitEditor ed = new MemitEditor(lm, hp, secondMoments);
                        layers.forEach(secondMoments::apply);
                        ed.contextTemplates();
                        edit = (overlay, reqs) -> {
                            ModelView v = new ModelView(overlay, Hooks.NONE);
                            MemitEditor.Targets t = oneBatch && shared[0] != null ? shared[0]
                                    : ed.targets(v, reqs, zProgress(reqs.size()));
                            shared[0] = oneBatch ? t : null;
                            MemitUpdate u = ed.compute(v, reqs, t, "MEMIT", null);
                            MemitEditor.apply(overlay, u);
                            return mean(u.targetProbabilities());
                        };
                        layerText = layers.toString();
                        settings = String.format(Locale.ROOT, "λ %.3g, clamp %.3g", lambda, clamp);
                    }
                    case "ALPHAEDIT" -> {
                        AlphaEditHyperParams base = AlphaEditHyperParams.smallModel(layers, numLayers);
                        double threshold = Double.parseDouble(opt.getOrDefault("threshold",
                                Double.toString(base.nullspaceThreshold())));
                        double l2 = Double.parseDouble(opt.getOrDefault("l2", Double.toString(base.l2())));
                        AlphaEditHyperParams hp = new AlphaEditHyperParams(layers, factToken, steps, lr, numLayers - 1, wd,
                                clamp, kl, 10, samples, threshold, l2, templates);
                        Map<Integer, NullSpaceProjector> projectors = new HashMap<>();
                        StringBuilder ranks = new StringBuilder();
                        for (int l : layers) {
                            long t0 = System.nanoTime();
                            ProjectorCache.Lookup p = projectorCache.get(lm, l, corpus, samples, threshold,
                                    (stage, done, total) -> System.err.printf(Locale.ROOT, "  P layer %d: %s %d/%d%n", l,
                                            stage, done, total));
                            System.err.printf(Locale.ROOT, "  P layer %d: %s in %.1f s, null-space rank %d of %d%n", l,
                                    p.fromCache() ? "read from cache" : "computed", (System.nanoTime() - t0) / 1e9,
                                    p.projector().rank(), p.projector().dff());
                            projectors.put(l, p.projector());
                            ranks.append(ranks.length() == 0 ? "" : "/").append(p.projector().rank());
                        }
                        AlphaEditEditor ed = new AlphaEditEditor(lm, hp, projectors::get);
                        ed.contextTemplates();
                        AlphaEditMemory memory = new AlphaEditMemory();
                        edit = (overlay, reqs) -> {
                            ModelView v = new ModelView(overlay, Hooks.NONE);
                            MemitEditor.Targets t = oneBatch && shared[0] != null ? shared[0]
                                    : ed.targets(v, reqs, zProgress(reqs.size()));
                            shared[0] = oneBatch ? t : null;
                            AlphaEditUpdate u = ed.compute(v, memory, reqs, t);
                            AlphaEditEditor.apply(overlay, memory, u);
                            return mean(u.weights().targetProbabilities());
                        };
                        layerText = layers.toString();
                        settings = String.format(Locale.ROOT, "threshold %.3g (null-space rank %s), L2 %.3g, clamp %.3g",
                                threshold, ranks, l2, clamp);
                    }
                    default -> throw new IllegalArgumentException("unknown method '" + m
                            + "' in METHODS: use ROME, R-ROME, MEMIT or AlphaEdit");
                }
                String lt = layerText;
                String st = settings;
                run(lm, cases, n, b, edit, m, scoreAt, r -> {
                    SingleEditProbe.Row row = r.row();
                    System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.3f | %s |%n", m,
                            lt, r.edits(), r.batch(), row.editSucc(), row.generalization(), row.locality(), row.preEdit(),
                            row.secondsPerEdit(), row.extras()[0], st);
                });
            }
        }
    }

    /**
     * Writes the first {@code n} cases in batches of {@code batch} into one overlay, in order, and
     * scores every case written so far on the current weights after the last batch, and also
     * whenever the count of edits reaches a value of {@code scoreAt}. Seconds per edit count only
     * the edit computations.
     */
    static void run(LanguageModel lm, JsonArray cases, int n, int batch, BatchEdit edit, String label,
                    java.util.Set<Integer> scoreAt, java.util.function.Consumer<Result> report) {
        List<JsonObject> chosen = new ArrayList<>();
        List<RomeRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonObject c = cases.get(i).getAsJsonObject();
            chosen.add(c);
            requests.add(new RomeRequest(c.get("prompt").getAsString(), c.get("subject").getAsString(),
                    c.get("target_new").getAsString()));
        }
        List<SingleEditProbe.Baseline> baselines = new ArrayList<>();
        double seconds = 0;
        double prob = 0;
        long start = System.nanoTime();
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            int done = 0;
            int batches = 0;
            while (done < n) {
                List<RomeRequest> chunk = requests.subList(done, Math.min(n, done + batch));
                long t0 = System.nanoTime();
                prob += edit.apply(overlay, chunk) * chunk.size();
                seconds += (System.nanoTime() - t0) / 1e9;
                done += chunk.size();
                batches++;
                if (batches % Math.max(1, 10 / batch) == 0 || done == n) {
                    System.err.printf(Locale.ROOT, "  %s: %d/%d edits, %.0f s%n", label, done, n,
                            (System.nanoTime() - start) / 1e9);
                }
                if (done == n || scoreAt.contains(done)) {
                    while (baselines.size() < done) {
                        baselines.add(SingleEditProbe.baseline(lm, chosen.get(baselines.size())));
                    }
                    report.accept(score(lm, new ModelView(overlay, Hooks.NONE), chosen.subList(0, done), baselines,
                            seconds / done, prob / done, batch));
                }
            }
        }
    }

    private static Result score(LanguageModel lm, ModelView view, List<JsonObject> chosen,
                                List<SingleEditProbe.Baseline> baselines, double secondsPerEdit, double prob, int batch) {
        int n = chosen.size();
        double succ = 0;
        double gen = 0;
        double loc = 0;
        double pre = 0;
        int locCases = 0;
        for (int i = 0; i < n; i++) {
            SingleEditProbe.Baseline base = baselines.get(i);
            SingleEditProbe.CaseScore s = SingleEditProbe.score(lm, view, chosen.get(i), base);
            pre += base.preEdit();
            succ += s.editSucc();
            gen += Double.isNaN(s.generalization()) ? 0 : s.generalization();
            if (!Double.isNaN(s.locality())) {
                loc += s.locality();
                locCases++;
            }
        }
        SingleEditProbe.Row row = new SingleEditProbe.Row(100 * succ / n, 100 * gen / n,
                locCases == 0 ? Double.NaN : 100 * loc / locCases, 100 * pre / n, secondsPerEdit, new double[] {prob});
        return new Result(row, n, batch);
    }

    private static double mean(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return a.length == 0 ? Double.NaN : s / a.length;
    }
}
