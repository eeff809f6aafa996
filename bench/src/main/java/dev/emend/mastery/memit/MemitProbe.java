package dev.emend.mastery.memit;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.model.Hooks;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.probe.SingleEditProbe;
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
import java.util.function.IntFunction;

/**
 * Measures single MEMIT edits (batches of one) on a KnowEdit-format file with the same metrics as
 * {@code RomeProbe} ({@link SingleEditProbe}); C per layer from a plain text corpus, cached on disk.
 *
 * <pre>
 * MemitProbe MODEL_DIR COUNTERFACT_JSON N LAYER_SETS CORPUS_TXT [--stats-dir=DIR] [--lambda=3.125·d_ff]
 *            [--steps=60] [--lr=0.5] [--wd=1e-3] [--clamp=0.75] [--kl=0.0625] [--fact-token=subject_last]
 *            [--samples=100000] [--templates=5x10]
 * </pre>
 * LAYER_SETS is one or more comma lists separated by ';' (e.g. "0,1;0,1,2"), one row each.
 * {@code --batch=true}: the N cases are one batch (MEMIT's mass-editing setting) instead of N
 * batches of one; mean steps and P(target) are then over the batch's edits.
 */
public final class MemitProbe {
    private MemitProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, MemitProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 5,
                "MemitProbe MODEL_DIR COUNTERFACT_JSON N LAYER_SETS CORPUS_TXT [--stats-dir=DIR]"
                    + " [--lambda=...] [--steps=60] [--lr=0.5] [--wd=1e-3] [--clamp=0.75] [--kl=0.0625]"
                    + " [--fact-token=subject_last] [--samples=100000] [--templates=5x10] [--batch=false]");
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        JsonArray cases = JsonParser.parseString(Files.readString(Path.of(pos.get(1)))).getAsJsonArray();
        int n = Math.min(Integer.parseInt(pos.get(2)), cases.size());
        List<List<Integer>> sets = new ArrayList<>();
        for (String set : pos.get(3).split(";")) {
            List<Integer> layers = new ArrayList<>();
            for (String l : set.split(",")) {
                layers.add(Integer.parseInt(l.trim()));
            }
            sets.add(layers);
        }
        List<String> corpus = Files.readAllLines(Path.of(pos.get(4))).stream().filter(s -> !s.isBlank()).toList();
        Path statsDir = Path.of(opt.getOrDefault("stats-dir", System.getProperty("java.io.tmpdir") + "/emend-rome-stats"));
        String[] tpl = opt.getOrDefault("templates", "5x10").split("x");

        try (LanguageModel lm = Checkpoints.load(modelDir)) {
            int numLayers = lm.config().numLayers();
            int dff = lm.model().mlpDown(0).inFeatures();
            CovarianceCache cache = new CovarianceCache(statsDir);
            int samples = Integer.parseInt(opt.getOrDefault("samples", "100000"));
            Map<Integer, SecondMoment> stats = new HashMap<>();
            IntFunction<SecondMoment> secondMoments = l -> stats.computeIfAbsent(l, x -> {
                long t0 = System.nanoTime();
                CovarianceCache.Lookup c = cache.get(lm, x, corpus, samples, (done, total, tokens) -> { });
                System.err.printf(Locale.ROOT, "  C layer %d: %s in %.1f s (%d tokens, ridge %.3g)%n", x,
                        c.fromCache() ? "read from cache" : "computed", (System.nanoTime() - t0) / 1e9,
                        c.moment().tokenCount(), c.moment().ridge());
                return c.moment();
            });
            System.out.printf(Locale.ROOT, "model %s (%s, %d layers, d_model %d, d_ff %d), %d cases, corpus %d lines%n",
                    modelDir, lm.fingerprint(), numLayers, lm.config().hiddenSize(), dff, n, corpus.size());
            System.out.println("| method | layers | λ | Edit Succ | Generalization | Locality | pre-edit Succ | s/edit | mean steps | z-opt P(target) |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|");
            for (List<Integer> layers : sets) {
                MemitHyperParams base = MemitHyperParams.smallModel(layers, numLayers, dff);
                double lambda = Double.parseDouble(opt.getOrDefault("lambda", Double.toString(base.mom2UpdateWeight())));
                MemitHyperParams hp = new MemitHyperParams(layers, opt.getOrDefault("fact-token", base.factToken()),
                        Integer.parseInt(opt.getOrDefault("steps", "60")), Double.parseDouble(opt.getOrDefault("lr", "0.5")),
                        numLayers - 1, Double.parseDouble(opt.getOrDefault("wd", "1e-3")),
                        Double.parseDouble(opt.getOrDefault("clamp", "0.75")),
                        Double.parseDouble(opt.getOrDefault("kl", "0.0625")), true, lambda, samples,
                        List.of(List.of(Integer.parseInt(tpl[0]), Integer.parseInt(tpl[1]))));
                MemitEditor editor = new MemitEditor(lm, hp, secondMoments);
                layers.forEach(secondMoments::apply); // not counted in the per-edit time
                editor.contextTemplates();
                SingleEditProbe.Row r = Boolean.parseBoolean(opt.getOrDefault("batch", "false"))
                        ? SingleEditProbe.runBatch(lm, cases, n, (overlay, prompts, subjects, targets) -> {
                            List<RomeRequest> batch = new ArrayList<>();
                            for (int i = 0; i < prompts.size(); i++) {
                                batch.add(new RomeRequest(prompts.get(i), subjects.get(i), targets.get(i)));
                            }
                            MemitUpdate u = editor.edit(overlay, Hooks.NONE, batch);
                            return new double[] {java.util.Arrays.stream(u.steps()).average().orElse(0),
                                java.util.Arrays.stream(u.targetProbabilities()).average().orElse(0)};
                        })
                        : SingleEditProbe.run(lm, cases, n, 2, (overlay, prompt, subject, target) -> {
                            MemitUpdate u = editor.edit(overlay, Hooks.NONE, List.of(new RomeRequest(prompt, subject, target)));
                            return new double[] {u.steps()[0], u.targetProbabilities()[0]};
                        });
                System.out.printf(Locale.ROOT, "| MEMIT | %s | %.0f | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f | %.3f |%n",
                        layers, lambda, r.editSucc(), r.generalization(), r.locality(), r.preEdit(), r.secondsPerEdit(),
                        r.extras()[0], r.extras()[1]);
            }
        }
    }
}
