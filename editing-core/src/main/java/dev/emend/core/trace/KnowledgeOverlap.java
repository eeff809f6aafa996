package dev.emend.core.trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How much the located knowledge of two facts overlaps (the survey's question: do unrelated
 * facts use the same parameters?). Two kinds of unit:
 *
 * <ul>
 *   <li>Trace units: (restored sub-layer ∈ {MLP, attention}, layer, token kind) with the fact's
 *       mean indirect effect per token kind ({@link TraceAverage#byTokenKind}); the top k by
 *       effect. Token kinds line up across prompts, so these say whether two facts are carried
 *       at the same places.
 *   <li>Neurons: (layer, MLP hidden unit) ranked by |{@link NeuronAttribution attribution}|; the
 *       top k.
 * </ul>
 * Overlap of two facts = Jaccard |A ∩ B| / |A ∪ B| of their top-k sets.
 */
public final class KnowledgeOverlap {
    private KnowledgeOverlap() {
    }

    /** Top-k trace units of one trace, encoded as "MLP/l3/last subj". */
    public static Set<String> topUnits(TraceResult r, int k) {
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (TraceResult.Kind kind : new TraceResult.Kind[] {TraceResult.Kind.MLP, TraceResult.Kind.ATTENTION}) {
            double[][] g = TraceAverage.byTokenKind(r, kind);
            for (int l = 0; l < g.length; l++) {
                for (int kd = 0; kd < g[l].length; kd++) {
                    if (!Double.isNaN(g[l][kd])) {
                        names.add(kind + "/l" + l + "/" + TraceAverage.TOKEN_KINDS[kd]);
                        values.add(g[l][kd]);
                    }
                }
            }
        }
        Integer[] order = new Integer[names.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(values.get(b), values.get(a)));
        Set<String> out = new HashSet<>();
        for (int i = 0; i < Math.min(k, order.length); i++) {
            out.add(names.get(order[i]));
        }
        return out;
    }

    /** Top-k neurons by |attribution|, encoded as {@code layer · d_ff + unit}. */
    public static Set<Integer> topNeurons(float[][] attribution, int k) {
        int dff = attribution[0].length;
        int n = attribution.length * dff;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(Math.abs(attribution[b / dff][b % dff]),
                Math.abs(attribution[a / dff][a % dff])));
        return new HashSet<>(Arrays.asList(order).subList(0, Math.min(k, n)));
    }

    public static <T> double jaccard(Set<T> a, Set<T> b) {
        if (a.isEmpty() && b.isEmpty()) {
            return 1.0;
        }
        Set<T> inter = new HashSet<>(a);
        inter.retainAll(b);
        return inter.size() / (double) (a.size() + b.size() - inter.size());
    }

    /**
     * Expected Jaccard of two independent uniformly random k-subsets of n units (the chance
     * level), from E|A∩B| = k²/n; a close approximation for k ≪ n.
     */
    public static double chanceJaccard(int k, int n) {
        double inter = (double) k * k / n;
        return inter / (2.0 * k - inter);
    }

    /** Mean, min, quartiles and max of a sample. */
    public record Summary(int n, double mean, double min, double q1, double median, double q3, double max) {
        public static Summary of(double[] values) {
            double[] v = values.clone();
            Arrays.sort(v);
            double mean = Arrays.stream(v).average().orElse(Double.NaN);
            return new Summary(v.length, mean, v.length == 0 ? Double.NaN : v[0], quantile(v, 0.25),
                    quantile(v, 0.5), quantile(v, 0.75), v.length == 0 ? Double.NaN : v[v.length - 1]);
        }

        /** Linear interpolation between order statistics (numpy's default). */
        static double quantile(double[] sorted, double q) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            double pos = q * (sorted.length - 1);
            int lo = (int) Math.floor(pos);
            int hi = Math.min(sorted.length - 1, lo + 1);
            return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "n %d, mean %.3f, min %.3f, Q1 %.3f, median %.3f, Q3 %.3f, max %.3f",
                    n, mean, min, q1, median, q3, max);
        }
    }
}
