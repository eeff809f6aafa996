package dev.emend.mastery.rome;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.mastery.probe.SingleEditProbe;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreResult;
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

/**
 * Measures single ROME edits on a KnowEdit-format file, each in a fresh overlay:
 * Edit Succ (token accuracy of target_new after the prompt), Generalization (same on the
 * rephrase prompt), Locality (argmax agreement with the unedited model on the locality
 * prompts + ground truths), ×100, and seconds per edit. C comes from a plain text corpus, one
 * document per line, cached on disk.
 *
 * <pre>
 * RomeProbe MODEL_DIR COUNTERFACT_JSON N LAYERS CORPUS_TXT [--stats-dir=DIR] [--r-rome] [--no-mom2]
 *           [--steps=60] [--lr=0.5] [--wd=1e-3] [--clamp=8] [--kl=0.0625] [--fact-token=subject_last]
 *           [--samples=100000] [--templates=5x10]
 * </pre>
 * LAYERS is one index or a comma list (a sweep prints one row per layer).
 */
public final class RomeProbe {
    private RomeProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, RomeProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 5,
                "RomeProbe MODEL_DIR COUNTERFACT_JSON N LAYERS CORPUS_TXT [--stats-dir=DIR] [--r-rome]"
                    + " [--no-mom2] [--steps=60] [--lr=0.5] [--wd=1e-3] [--clamp=8] [--kl=0.0625] [--fact-token=subject_last]"
                    + " [--samples=100000] [--templates=5x10]");
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        JsonArray cases = JsonParser.parseString(Files.readString(Path.of(pos.get(1)))).getAsJsonArray();
        int n = Math.min(Integer.parseInt(pos.get(2)), cases.size());
        List<Integer> layers = new ArrayList<>();
        for (String l : pos.get(3).split(",")) {
            layers.add(Integer.parseInt(l.trim()));
        }
        List<String> corpus = Files.readAllLines(Path.of(pos.get(4))).stream().filter(s -> !s.isBlank()).toList();
        Path statsDir = Path.of(opt.getOrDefault("stats-dir", System.getProperty("java.io.tmpdir") + "/emend-rome-stats"));
        String[] tpl = opt.getOrDefault("templates", "5x10").split("x");

        try (LanguageModel lm = Checkpoints.load(modelDir)) {
            int numLayers = lm.config().numLayers();
            CovarianceCache cache = new CovarianceCache(statsDir);
            int samples = Integer.parseInt(opt.getOrDefault("samples", "100000"));
            Map<Integer, SecondMoment> stats = new HashMap<>();
            System.out.printf(Locale.ROOT, "model %s (%s, %d layers, d_model %d), %d cases, corpus %d lines%n", modelDir,
                    lm.fingerprint(), numLayers, lm.config().hiddenSize(), n, corpus.size());
            System.out.println("| method | layer | Edit Succ | Generalization | Locality | pre-edit Succ | s/edit | mean steps | δ-opt P(target) |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            for (int layer : layers) {
                RomeHyperParams base = RomeHyperParams.smallModel(layer, numLayers);
                RomeHyperParams hp = new RomeHyperParams(List.of(layer), opt.getOrDefault("fact-token", "subject_last"),
                        Integer.parseInt(opt.getOrDefault("steps", "60")), Double.parseDouble(opt.getOrDefault("lr", "0.5")),
                        numLayers - 1, Double.parseDouble(opt.getOrDefault("wd", "1e-3")),
                        Double.parseDouble(opt.getOrDefault("clamp", "8")), Double.parseDouble(opt.getOrDefault("kl", "0.0625")),
                        !opt.containsKey("no-mom2"), base.mom2UpdateWeight(), samples,
                        List.of(List.of(Integer.parseInt(tpl[0]), Integer.parseInt(tpl[1]))), opt.containsKey("r-rome"));
                java.util.function.IntFunction<SecondMoment> secondMoments = l -> stats.computeIfAbsent(l, x -> {
                    long t0 = System.nanoTime();
                    CovarianceCache.Lookup c = cache.get(lm, x, corpus, samples, (done, total, tokens) -> {
                        if (done == total || done % 2000 < 16) {
                            System.err.printf(Locale.ROOT, "  C layer %d: %d/%d documents, %d tokens%n", x, done, total, tokens);
                        }
                    });
                    System.err.printf(Locale.ROOT, "  C layer %d: %s in %.1f s (%d tokens, ridge %.3g)%n", x,
                            c.fromCache() ? "read from cache" : "computed", (System.nanoTime() - t0) / 1e9,
                            c.moment().tokenCount(), c.moment().ridge());
                    return c.moment();
                });
                RomeEditor editor = new RomeEditor(lm, hp, secondMoments);
                if (hp.mom2Adjustment()) {
                    secondMoments.apply(layer); // not counted in the per-edit time
                }
                editor.contextTemplates();
                SingleEditProbe.Row r = SingleEditProbe.run(lm, cases, n, 2, (overlay, prompt, subject, target) -> {
                    RomeUpdate u = editor.edit(overlay, Hooks.NONE, new RomeRequest(prompt, subject, target));
                    return new double[] {u.steps(), u.targetProbability()};
                });
                System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f | %.3f |%n", hp.methodName(), layer,
                        r.editSucc(), r.generalization(), r.locality(), r.preEdit(), r.secondsPerEdit(), r.extras()[0], r.extras()[1]);
            }
        }
    }
}
