package dev.emend.recognition.engine;

import dev.emend.core.edit.EditException;
import dev.emend.core.edit.Hparams;
import dev.emend.recognition.retrieval.Fusion;
import java.util.List;

/**
 * How a space answers queries: the method and hparams of the latest unit applied to it (a space is
 * normally edited with one method; when methods are mixed, the newest unit's settings are used for
 * every query, over all live edits). Each in-context method says which settings its units give
 * ({@link InContextMethod#queryConfig}).
 */
public record QueryConfig(String method, boolean gated, double threshold, boolean demonstrations, int k,
                   List<Double> ratio, String separator, int maxFacts, Fusion fusion) {

    /**
     * The settings of a unit of {@code method}: {@code gated} keeps only the edits whose score
     * reaches the hparam {@code threshold} (SERAC); {@code demonstrations} puts IKE's retrieved
     * demonstrations before the facts.
     */
    public static QueryConfig of(String method, boolean gated, boolean demos, Hparams h) {
        Fusion fusion = new Fusion(h.getDouble(RecognitionMethods.BM25_WEIGHT), h.getDouble(RecognitionMethods.KNN_WEIGHT),
                h.getInt(RecognitionMethods.CANDIDATES));
        return new QueryConfig(method.toUpperCase(java.util.Locale.ROOT), gated, gated ? h.getDouble(RecognitionMethods.THRESHOLD) : 0,
                demos, demos ? h.getInt(RecognitionMethods.K) : 0,
                demos ? h.getDoubleList(RecognitionMethods.DEMO_TYPE_RATIO) : List.of(1.0, 1.0, 1.0),
                demos ? h.getString(RecognitionMethods.DEMO_SEPARATOR) : "space",
                h.getInt(RecognitionMethods.MAX_FACTS), fusion);
    }

    /** Cross-field checks Hparams cannot express; field names as in the request. */
    static void check(Hparams h) {
        if (h.has(RecognitionMethods.DEMO_TYPE_RATIO)) {
            List<Double> r = h.getDoubleList(RecognitionMethods.DEMO_TYPE_RATIO);
            if (r.size() != 3) {
                throw EditException.invalid("hparams." + RecognitionMethods.DEMO_TYPE_RATIO,
                        "expected 3 values (copy, update, retain), got " + r.size());
            }
            if (r.stream().mapToDouble(Double::doubleValue).sum() <= 0) {
                throw EditException.invalid("hparams." + RecognitionMethods.DEMO_TYPE_RATIO,
                        "at least one of copy, update, retain must be positive");
            }
        }
        if (h.has(RecognitionMethods.BM25_WEIGHT) && h.has(RecognitionMethods.KNN_WEIGHT)
                && h.getDouble(RecognitionMethods.BM25_WEIGHT) + h.getDouble(RecognitionMethods.KNN_WEIGHT) <= 0) {
            throw EditException.invalid("hparams." + RecognitionMethods.KNN_WEIGHT,
                    "bm25_weight and knn_weight are both 0: set at least one above 0 so retrieval can rank edits");
        }
    }
}
