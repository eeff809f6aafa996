package dev.emend.core.trace;

import java.util.Locale;

/**
 * Mean indirect effect (p_restored − p_corrupt) over many traces, per restored state kind, layer
 * and token kind (ROME's Figure 2 grouping, {@link #TOKEN_KINDS}): first subject token, middle
 * subject tokens, last subject token, first subsequent token, further tokens, last token. A
 * one-token subject counts as "last subj"; a first subsequent token that is also the last counts
 * as "last"; tokens before the subject are left out. Within one trace the tokens of a kind are
 * averaged first, then the traces that have that kind.
 */
public final class TraceAverage {
    public static final String[] TOKEN_KINDS = {"first subj", "mid subj", "last subj", "first after", "further", "last"};

    private final int layers;
    private final double[][][] sum;
    private final int[] kindTraces = new int[TOKEN_KINDS.length];
    private int traces;
    private int known;
    private double pClean;
    private double pCorrupt;
    private double millis;
    private double cpuMillis;

    public TraceAverage(int layers) {
        this.layers = layers;
        this.sum = new double[TraceResult.Kind.values().length][layers][TOKEN_KINDS.length];
    }

    /** Token kind of position {@code t}, or -1 for tokens before the subject. */
    public static int tokenKind(int t, int start, int end, int len) {
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

    /** Per-trace mean indirect effect {@code [layer][token kind]} (NaN where the trace has no such token). */
    public static double[][] byTokenKind(TraceResult r, TraceResult.Kind kind) {
        float[][] ie = r.indirectEffect(kind);
        int len = r.tokens().size();
        double[][] out = new double[ie.length][TOKEN_KINDS.length];
        for (int l = 0; l < ie.length; l++) {
            double[] s = new double[TOKEN_KINDS.length];
            int[] c = new int[TOKEN_KINDS.length];
            for (int t = 0; t < len; t++) {
                int kd = tokenKind(t, r.subjectStart(), r.subjectEnd(), len);
                if (kd >= 0) {
                    s[kd] += ie[l][t];
                    c[kd]++;
                }
            }
            for (int kd = 0; kd < TOKEN_KINDS.length; kd++) {
                out[l][kd] = c[kd] == 0 ? Double.NaN : s[kd] / c[kd];
            }
        }
        return out;
    }

    public void add(TraceResult r) {
        if (r.block().length != layers) {
            throw new IllegalArgumentException("trace has " + r.block().length + " layers, expected " + layers);
        }
        boolean[] has = new boolean[TOKEN_KINDS.length];
        for (TraceResult.Kind k : TraceResult.Kind.values()) {
            double[][] g = byTokenKind(r, k);
            for (int l = 0; l < layers; l++) {
                for (int kd = 0; kd < TOKEN_KINDS.length; kd++) {
                    if (!Double.isNaN(g[l][kd])) {
                        sum[k.ordinal()][l][kd] += g[l][kd];
                        has[kd] = true;
                    }
                }
            }
        }
        for (int kd = 0; kd < TOKEN_KINDS.length; kd++) {
            if (has[kd]) {
                kindTraces[kd]++;
            }
        }
        traces++;
        if (r.pClean() > 0.5f) {
            known++;
        }
        pClean += r.pClean();
        pCorrupt += r.pCorrupt();
        millis += r.millis();
        cpuMillis += r.cpuMillis();
    }

    public int traces() {
        return traces;
    }

    public int layers() {
        return layers;
    }

    /** Traces with p_clean &gt; 0.5. */
    public int known() {
        return known;
    }

    public double meanPClean() {
        return pClean / Math.max(1, traces);
    }

    public double meanPCorrupt() {
        return pCorrupt / Math.max(1, traces);
    }

    public double meanMillis() {
        return millis / Math.max(1, traces);
    }

    public double meanCpuMillis() {
        return cpuMillis / Math.max(1, traces);
    }

    public int tracesWithKind(int tokenKind) {
        return kindTraces[tokenKind];
    }

    /** Mean indirect effect {@code [layer][token kind]} (NaN for a kind no trace had). */
    public double[][] mean(TraceResult.Kind kind) {
        double[][] out = new double[layers][TOKEN_KINDS.length];
        for (int l = 0; l < layers; l++) {
            for (int kd = 0; kd < TOKEN_KINDS.length; kd++) {
                out[l][kd] = kindTraces[kd] == 0 ? Double.NaN : sum[kind.ordinal()][l][kd] / kindTraces[kd];
            }
        }
        return out;
    }

    /** {@code {layer, token kind}} of the largest mean indirect effect of {@code kind}. */
    public int[] strongest(TraceResult.Kind kind) {
        double[][] m = mean(kind);
        int[] best = {-1, -1};
        double v = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < layers; l++) {
            for (int kd = 0; kd < TOKEN_KINDS.length; kd++) {
                if (!Double.isNaN(m[l][kd]) && m[l][kd] > v) {
                    v = m[l][kd];
                    best = new int[] {l, kd};
                }
            }
        }
        return best;
    }

    /** A Markdown table of {@link #mean} (rows: layer). */
    public String table(TraceResult.Kind kind) {
        StringBuilder sb = new StringBuilder("| layer |");
        StringBuilder sep = new StringBuilder("|---:|");
        for (String name : TOKEN_KINDS) {
            sb.append(' ').append(name).append(" |");
            sep.append("---:|");
        }
        sb.append('\n').append(sep).append('\n');
        double[][] m = mean(kind);
        for (int l = 0; l < layers; l++) {
            sb.append("| ").append(l).append(" |");
            for (int kd = 0; kd < TOKEN_KINDS.length; kd++) {
                sb.append(String.format(Locale.ROOT, " %.4f |", m[l][kd]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
