package dev.emend.evaluation.service;

import dev.emend.api.v1.CaseScores;
import dev.emend.api.v1.Metrics;
import dev.emend.knowedit.metrics.CaseResult;
import dev.emend.knowedit.metrics.MethodMetrics;
import dev.emend.knowedit.metrics.Protocol;
import dev.emend.knowedit.metrics.TaskMetrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** Per-case scores to table metrics: the headline numbers through the library's {@link MethodMetrics#aggregate}. */
public final class MetricsAggregator {
    private MetricsAggregator() {
    }

    /** The library's per-case record of one case's scores. */
    public static CaseResult caseResult(String caseId, CaseScores s) {
        return new CaseResult(caseId, s.getRewriteAcc(),
                s.hasRephraseAcc() ? s.getRephraseAcc() : null,
                s.hasPortability() ? s.getPortability() : null,
                s.hasLocality() ? s.getLocality() : null,
                s.hasFluency() ? s.getFluency() : null,
                s.hasRewriteExactMatch() ? (s.getRewriteExactMatch() ? 1.0 : 0.0) : null);
    }

    /** The table row (library units: ×100) of the scored cases; null when no case was scored. */
    public static MethodMetrics row(String label, Protocol protocol, List<String> caseIds, List<CaseScores> scores) {
        if (scores.isEmpty()) {
            return null;
        }
        List<CaseResult> cases = new ArrayList<>();
        for (int i = 0; i < scores.size(); i++) {
            cases.add(caseResult(caseIds.get(i), scores.get(i)));
        }
        return MethodMetrics.aggregate(label, protocol, cases);
    }

    /** emend.v1.Metrics of the scored cases (empty metrics with cases = 0 when none was scored). */
    public static Metrics metrics(MethodMetrics row, List<CaseScores> scores) {
        Metrics.Builder b = Metrics.newBuilder().setCases(scores.size());
        if (row == null) {
            return b.build();
        }
        if (row.editSucc() != null) {
            b.setEditSucc(row.editSucc());
        }
        if (row.generalization() != null) {
            b.setGeneralization(row.generalization());
        }
        if (row.portability() != null) {
            b.setPortability(row.portability());
        }
        if (row.locality() != null) {
            b.setLocality(row.locality());
        }
        if (row.fluency() != null) {
            b.setFluency(row.fluency());
        }
        if (row.generationExactMatch() != null) {
            b.setEditSuccExactMatch(row.generationExactMatch());
        }
        Double genEm = mean100(scores, s -> s.hasRephraseExactMatch() ? s.getRephraseExactMatch() : null);
        if (genEm != null) {
            b.setGeneralizationExactMatch(genEm);
        }
        b.putAllPortabilityByKey(byKey(scores, CaseScores::getPortabilityByKeyMap));
        b.putAllLocalityByKey(byKey(scores, CaseScores::getLocalityByKeyMap));
        // task metrics: fractions ×100, perplexities as they are
        byKey(scores, CaseScores::getExtraMap).forEach((k, v) -> b.putExtra(k, TaskMetrics.isPercent(k) ? v : v / 100));
        return b.build();
    }

    private static Map<String, Double> byKey(List<CaseScores> scores, Function<CaseScores, Map<String, Double>> f) {
        Map<String, double[]> acc = new TreeMap<>();
        for (CaseScores s : scores) {
            f.apply(s).forEach((k, v) -> {
                double[] a = acc.computeIfAbsent(k, x -> new double[2]);
                a[0] += v;
                a[1]++;
            });
        }
        Map<String, Double> out = new TreeMap<>();
        acc.forEach((k, a) -> out.put(k, 100.0 * a[0] / a[1]));
        return out;
    }

    private static Double mean100(List<CaseScores> scores, Function<CaseScores, Double> f) {
        double sum = 0;
        int n = 0;
        for (CaseScores s : scores) {
            Double v = f.apply(s);
            if (v != null) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? null : 100.0 * sum / n;
    }
}
