package dev.emend.knowedit.metrics;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One row of the KnowEdit table: a method's aggregate over the cases of one run. Values are in
 * table units, as KnowEdit prints them: accuracies ×100 (0..100), fluency = n-gram entropy in
 * bits ×100. A null metric means no case had anything to measure it on.
 *
 * <p>Aggregation ({@link #aggregate}) mirrors the KnowEdit summary
 * (examples/KnowEdit.md eval): each metric is the mean over the cases that have it of the
 * per-case value (EasyEdit: {@code Edit_Succ = mean(rewrite_acc)}, portability and locality skip
 * cases without probes, fluency = mean ngram_entropy), then ×100.
 *
 * @param method         method name ("ROME")
 * @param editSucc       Edit Succ (rewrite_acc) ×100
 * @param generalization Generalization (rephrase_acc) ×100
 * @param portability    Portability ×100
 * @param locality       Locality ×100
 * @param fluency        Fluency (n-gram entropy ×100)
 * @param generationExactMatch greedy-generation exact match ×100 (beside the teacher-forced numbers)
 * @param n              number of cases
 * @param protocol       how the numbers were produced
 */
public record MethodMetrics(String method, Double editSucc, Double generalization, Double portability,
                            Double locality, Double fluency, Double generationExactMatch, int n,
                            Protocol protocol) {
    public MethodMetrics {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(protocol, "protocol");
    }

    /** Aggregates per-case results into a table row (see class comment). */
    public static MethodMetrics aggregate(String method, Protocol protocol, List<CaseResult> cases) {
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("no case results for method " + method);
        }
        return new MethodMetrics(method,
                mean100(cases, c -> c.rewriteAcc()),
                mean100(cases, CaseResult::rephraseAcc),
                mean100(cases, CaseResult::portability),
                mean100(cases, CaseResult::locality),
                mean100(cases, CaseResult::fluency),
                mean100(cases, CaseResult::generationExactMatch),
                cases.size(), protocol);
    }

    private static Double mean100(List<CaseResult> cases, Function<CaseResult, Double> f) {
        double sum = 0;
        int n = 0;
        for (CaseResult c : cases) {
            Double v = f.apply(c);
            if (v != null) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? null : 100.0 * sum / n;
    }
}
