package dev.emend.core.trace;

import dev.emend.core.runtime.LanguageModel;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Traces many facts of an emend-facts file on the base model: the averaged trace
 * ({@link TraceAverage}) and, when asked, the knowledge overlap ({@link KnowledgeOverlap}) of
 * pairs of unrelated facts (different relation, subject and object, both known: p_clean &gt; 0.5),
 * with pairs of same-relation facts (different subject and object) as a contrast. Facts whose
 * prompt cannot be traced (e.g. too long) are skipped and counted.
 */
public final class FactTraceStudy {
    /** One traced fact; {@code attribution} is null when no overlap was asked for. */
    public record Traced(FactPrompts.Fact fact, TraceResult trace, float[][] attribution) {}

    /** Overlap distributions; chance levels for the same k drawn at random. */
    public record Overlap(int unitK, int neuronK, KnowledgeOverlap.Summary unrelatedUnits,
                          KnowledgeOverlap.Summary unrelatedNeurons, KnowledgeOverlap.Summary sameRelationUnits,
                          KnowledgeOverlap.Summary sameRelationNeurons, double unitChance, double neuronChance) {
        public String report() {
            return String.format(Locale.ROOT, """
                    Jaccard overlap of top-%d trace units (MLP/attention × layer × token kind, %s):
                      unrelated pairs:     %s
                      same-relation pairs: %s
                    Jaccard overlap of top-%d MLP neurons by |activation × ∂p/∂activation| (%s):
                      unrelated pairs:     %s
                      same-relation pairs: %s
                    """, unitK, String.format(Locale.ROOT, "chance ≈ %.3f", unitChance), unrelatedUnits,
                    sameRelationUnits, neuronK, String.format(Locale.ROOT, "chance ≈ %.4f", neuronChance),
                    unrelatedNeurons, sameRelationNeurons);
        }
    }

    public record Result(TraceAverage average, List<Traced> traced, int skipped, Overlap overlap) {}

    private FactTraceStudy() {
    }

    /**
     * Traces the first {@code n} traceable facts; with {@code pairs > 0} also attributes each to
     * the MLP neurons and measures overlap over {@code pairs} random pairs of each kind.
     */
    public static Result run(LanguageModel lm, CausalTracer tracer, List<FactPrompts.Fact> facts, int n, int pairs,
                             int unitK, int neuronK, long seed, PrintStream progress) {
        return run(lm, tracer, facts, n, pairs, unitK, neuronK, seed, progress, null);
    }

    /** As above; {@code every20} (if not null) is called with the partial result every 20 traces. */
    public static Result run(LanguageModel lm, CausalTracer tracer, List<FactPrompts.Fact> facts, int n, int pairs,
                             int unitK, int neuronK, long seed, PrintStream progress,
                             java.util.function.Consumer<Result> every20) {
        TraceAverage avg = new TraceAverage(lm.config().numLayers());
        List<Traced> traced = new ArrayList<>();
        int skipped = 0;
        for (FactPrompts.Fact f : facts) {
            if (traced.size() >= n) {
                break;
            }
            TraceResult r;
            try {
                r = tracer.trace(f.prompt(), f.subject(), f.object());
            } catch (IllegalArgumentException e) {
                skipped++;
                continue;
            }
            float[][] attr = pairs > 0
                    ? NeuronAttribution.attribute(lm, lm.baseView(), tracer.promptIds(f.prompt(), f.subject()), r.answerId())
                    : null;
            avg.add(r);
            traced.add(new Traced(f, r, attr));
            if (progress != null && traced.size() % 20 == 0) {
                progress.printf(Locale.ROOT, "traced %d/%d facts (%.2f s per trace)%n", traced.size(), n,
                        avg.meanMillis() / 1000);
            }
            if (every20 != null && traced.size() % 20 == 0) {
                every20.accept(new Result(avg, traced, skipped,
                        pairs > 0 ? overlap(lm, traced, pairs, unitK, neuronK, seed) : null));
            }
        }
        Overlap overlap = pairs > 0 ? overlap(lm, traced, pairs, unitK, neuronK, seed) : null;
        return new Result(avg, traced, skipped, overlap);
    }

    static Overlap overlap(LanguageModel lm, List<Traced> traced, int pairs, int unitK, int neuronK, long seed) {
        List<Traced> known = traced.stream().filter(t -> t.trace().pClean() > 0.5f).toList();
        Random rnd = new Random(seed);
        double[][] unrelated = sample(known, pairs, rnd, false, unitK, neuronK);
        double[][] same = sample(known, pairs, rnd, true, unitK, neuronK);
        int layers = lm.config().numLayers();
        int units = 2 * layers * TraceAverage.TOKEN_KINDS.length;
        int neurons = layers * lm.config().intermediateSize();
        return new Overlap(unitK, neuronK, KnowledgeOverlap.Summary.of(unrelated[0]),
                KnowledgeOverlap.Summary.of(unrelated[1]), KnowledgeOverlap.Summary.of(same[0]),
                KnowledgeOverlap.Summary.of(same[1]), KnowledgeOverlap.chanceJaccard(unitK, units),
                KnowledgeOverlap.chanceJaccard(neuronK, neurons));
    }

    /** Up to {@code pairs} distinct random pairs: {unit Jaccards, neuron Jaccards}. */
    private static double[][] sample(List<Traced> known, int pairs, Random rnd, boolean sameRelation, int unitK,
                                     int neuronK) {
        List<int[]> candidates = new ArrayList<>();
        for (int i = 0; i < known.size(); i++) {
            for (int j = i + 1; j < known.size(); j++) {
                FactPrompts.Fact a = known.get(i).fact();
                FactPrompts.Fact b = known.get(j).fact();
                boolean distinct = !a.subject().equals(b.subject()) && !a.object().equals(b.object());
                if (distinct && a.relation().equals(b.relation()) == sameRelation) {
                    candidates.add(new int[] {i, j});
                }
            }
        }
        java.util.Collections.shuffle(candidates, rnd);
        int n = Math.min(pairs, candidates.size());
        double[][] out = new double[2][n];
        for (int p = 0; p < n; p++) {
            Traced a = known.get(candidates.get(p)[0]);
            Traced b = known.get(candidates.get(p)[1]);
            out[0][p] = KnowledgeOverlap.jaccard(KnowledgeOverlap.topUnits(a.trace(), unitK),
                    KnowledgeOverlap.topUnits(b.trace(), unitK));
            Set<Integer> na = KnowledgeOverlap.topNeurons(a.attribution(), neuronK);
            Set<Integer> nb = KnowledgeOverlap.topNeurons(b.attribution(), neuronK);
            out[1][p] = KnowledgeOverlap.jaccard(na, nb);
        }
        return out;
    }

    /** The averaged grids, settings and overlap as JSON (read back by {@code ./emend trace-average --from}). */
    public static String toJson(Result res, String model, CausalTracer tracer, String stdSource) {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        TraceAverage avg = res.average();
        o.addProperty("model", model);
        o.addProperty("traces", avg.traces());
        o.addProperty("skipped", res.skipped());
        o.addProperty("known", avg.known());
        o.addProperty("samples", tracer.samples());
        o.addProperty("noise_multiplier", tracer.noiseMultiplier());
        o.addProperty("embedding_std", tracer.embeddingStd());
        o.addProperty("embedding_std_source", stdSource);
        o.addProperty("window", tracer.window());
        o.addProperty("seed", tracer.seed());
        o.addProperty("mean_p_clean", avg.meanPClean());
        o.addProperty("mean_p_corrupt", avg.meanPCorrupt());
        o.addProperty("seconds_per_trace", avg.meanMillis() / 1000);
        o.addProperty("cpu_seconds_per_trace", avg.meanCpuMillis() / 1000);
        com.google.gson.JsonArray kinds = new com.google.gson.JsonArray();
        for (String k : TraceAverage.TOKEN_KINDS) {
            kinds.add(k);
        }
        o.add("token_kinds", kinds);
        for (TraceResult.Kind k : TraceResult.Kind.values()) {
            com.google.gson.JsonArray rows = new com.google.gson.JsonArray();
            for (double[] row : avg.mean(k)) {
                com.google.gson.JsonArray r = new com.google.gson.JsonArray();
                for (double v : row) {
                    r.add(Double.isNaN(v) ? 0.0 : v);
                }
                rows.add(r);
            }
            o.add(k.name().toLowerCase(java.util.Locale.ROOT), rows);
        }
        if (res.overlap() != null) {
            o.addProperty("overlap", res.overlap().report());
        }
        return new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(o);
    }
}
