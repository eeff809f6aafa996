package dev.emend.association.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.KnowEditCases;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/** Query latency of score() with GRACE codebooks of several sizes (see {@link AssociationProbe}). */
final class Latency {
    private Latency() {
    }

    static void run(LanguageModel lm, AssociationEngine engine, Hparams hp, JsonArray cases, String sizes, int queries) {
        dev.emend.core.model.ModuleRef site = InnerParams.module(hp.getStringList("inner_params"), lm.model());
        if (site.projection() != dev.emend.core.model.Projection.MLP_DOWN) {
            throw new IllegalArgumentException("the latency probe builds down-projection codebooks; name a c_proj/down_proj");
        }
        int layer = site.layer();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            JsonObject c = cases.get(i).getAsJsonObject();
            prompts.add(c.get("prompt").getAsString());
            if (c.has("rephrase_prompt")) {
                prompts.add(c.get("rephrase_prompt").getAsString());
            }
            for (String[] p : KnowEditCases.localityPairs(c)) {
                prompts.add(p[0]);
            }
        }
        List<float[][]> kv = keys(lm, layer, prompts);
        System.out.printf(Locale.ROOT, "%d real keys at layer %d%n", kv.size(), layer);
        System.out.println("| GRACE entries | s/score (mean of " + queries + ") | overhead vs 0 entries | s/generate 8 tokens |");
        System.out.println("|---|---|---|---|");
        double base = Double.NaN;
        Random rnd = new Random(7);
        for (String s : sizes.split(",")) {
            int n = Integer.parseInt(s.trim());
            try (SpaceState state = engine.newState()) {
                for (int k = 0; k < n; k++) {
                    float[][] e = kv.get(k % kv.size());
                    float[] key = e[0].clone();
                    if (k >= kv.size()) {
                        for (int i = 0; i < key.length; i++) {
                            key[i] += (float) (rnd.nextGaussian() * 0.05);
                        }
                    }
                    byte[] payload = new TensorPack().put("method", "GRACE").put("layer", layer)
                            .put("dist_fn", hp.getString("dist_fn")).put("replacement", hp.getString("replacement"))
                            .put("op", "new").put("eps", hp.getDouble("eps")).tensor("key", key, key.length)
                            .tensor("value", e[1], e[1].length).tensor("label", new float[] {0}, 1).toBytes();
                    state.apply(new LedgerUnit(List.of("k" + k), "GRACE", hp, List.of(), payload));
                }
                // warm-up (also builds the key matrix once)
                for (int q = 0; q < 5; q++) {
                    state.score(prompts.get(q), "Paris");
                }
                long t0 = System.nanoTime();
                for (int q = 0; q < queries; q++) {
                    state.score(prompts.get(q % prompts.size()), "Paris");
                }
                double per = (System.nanoTime() - t0) / 1e9 / queries;
                long g0 = System.nanoTime();
                int gens = Math.max(1, queries / 10);
                for (int q = 0; q < gens; q++) {
                    state.generate(prompts.get(q % prompts.size()), dev.emend.core.runtime.GenerationOptions.greedy(8).withoutEos());
                }
                double gen = (System.nanoTime() - g0) / 1e9 / gens;
                if (n == 0) {
                    base = per;
                }
                System.out.printf(Locale.ROOT, "| %d | %.4f | %s | %.4f |%n", n, per,
                        Double.isNaN(base) ? "–" : String.format(Locale.ROOT, "%+.1f %%", 100 * (per - base) / base), gen);
            }
        }
    }

    /**
     * Evidence for the GRACE layer and ε: per layer, the median key norm, the median distance from
     * an edit prompt's key to its rephrase's key, and the median distance to the nearest of its
     * locality prompts' keys (a radius between the two gives generalization without locality loss).
     */
    static void keyDistances(LanguageModel lm, JsonArray cases, int n) {
        System.out.println("| layer | median ‖key‖ | median d(prompt, rephrase) | median min d(prompt, locality) | cases with d(rephrase) < min d(locality) |");
        System.out.println("|---|---|---|---|---|");
        for (int layer = 0; layer < lm.config().numLayers(); layer++) {
            List<Double> norms = new ArrayList<>();
            List<Double> reph = new ArrayList<>();
            List<Double> loc = new ArrayList<>();
            int better = 0;
            for (int i = 0; i < Math.min(n, cases.size()); i++) {
                JsonObject c = cases.get(i).getAsJsonObject();
                List<String> ps = new ArrayList<>();
                ps.add(c.get("prompt").getAsString());
                ps.add(c.get("rephrase_prompt").getAsString());
                for (String[] p : KnowEditCases.localityPairs(c)) {
                    ps.add(p[0]);
                }
                List<float[][]> kv = keys(lm, layer, ps);
                float[] k0 = kv.get(0)[0];
                norms.add(dist(k0, new float[k0.length]));
                double r = dist(k0, kv.get(1)[0]);
                double m = Double.POSITIVE_INFINITY;
                for (int j = 2; j < kv.size(); j++) {
                    m = Math.min(m, dist(k0, kv.get(j)[0]));
                }
                reph.add(r);
                loc.add(m);
                better += r < m ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %d / %d |%n", layer, median(norms), median(reph), median(loc),
                    better, reph.size());
        }
    }

    private static double dist(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        java.util.Collections.sort(s);
        return s.get(s.size() / 2);
    }

    /** (key, layer output) at the last token of each prompt, in batches of one (no padding). */
    static List<float[][]> keys(LanguageModel lm, int layer, List<String> prompts) {
        List<float[][]> out = new ArrayList<>();
        for (String p : prompts) {
            int[] ids = lm.encodePrompt(p);
            long[] l = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                l[i] = ids[i];
            }
            float[][] got = new float[2][];
            LayerHook capture = new LayerHook() {
                @Override
                public NDArray projection(int ly, Projection pr, NDArray in, NDArray o, HookContext ctx) {
                    if (ly == layer && pr == Projection.MLP_DOWN) {
                        got[0] = in.get(new NDIndex(0, ids.length - 1)).toFloatArray();
                        got[1] = o.get(new NDIndex(0, ids.length - 1)).toFloatArray();
                    }
                    return o;
                }
            };
            try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                lm.model().forward(m, lm.weights(), ForwardInput.of(l), dev.emend.core.model.Hooks.of(capture), null);
            }
            out.add(got);
        }
        return out;
    }
}
