package dev.emend.recognition.engine;

import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import java.util.List;

/**
 * The hparams the recognition phase's in-context methods share (names follow EasyEdit's IKE file
 * where one exists: {@code k}). The methods themselves are plug-ins ({@link InContextMethod});
 * the defaults here are the code's, the served defaults come from
 * {@code hparams/<METHOD>/<model>.yaml}.
 */
public final class RecognitionMethods {
    public static final String IKE = "IKE";
    public static final String ICE = "ICE";
    public static final String SERAC = "SERAC";

    public static final String K = "k";
    public static final String DEMO_TYPE_RATIO = "demo_type_ratio";
    public static final String DEMO_SEPARATOR = "demo_separator";
    public static final String MAX_FACTS = "max_facts";
    public static final String BM25_WEIGHT = "bm25_weight";
    public static final String KNN_WEIGHT = "knn_weight";
    public static final String CANDIDATES = "candidates";
    public static final String THRESHOLD = "threshold";
    public static final String CONTEXT_METHOD = "context_method";

    /** Up to this many requests per batch unit (a unit is only index inserts, so this is generous). */
    public static final int MAX_BATCH = 10_000;

    private RecognitionMethods() {
    }

    /** The retrieval hparams every in-context method has. */
    public static List<HparamSpec> retrieval() {
        return List.of(
                HparamSpec.of(MAX_FACTS, HparamType.INT, 1, 1.0, 8.0,
                        "retrieved edits put in context per query; the default model was trained with one or two "
                                + "'New fact:' lines, so more than 2 is outside what it learned"),
                HparamSpec.of(BM25_WEIGHT, HparamType.FLOAT, 0.25, 0.0, 1.0,
                        "weight of the normalised BM25 score (BM25 / sum of the query terms' idf) in the fused score"),
                HparamSpec.of(KNN_WEIGHT, HparamType.FLOAT, 0.75, 0.0, 1.0,
                        "weight of the cosine of centred model embeddings (LanguageModel.embed) in the fused score"),
                HparamSpec.of(CANDIDATES, HparamType.INT, 20, 1.0, 1000.0,
                        "documents taken from each retriever (BM25, k-NN) before fusion"));
    }

    /** The demonstration hparams of IKE (and SERAC, which can answer like IKE). */
    public static List<HparamSpec> demonstrations() {
        return List.of(
                HparamSpec.of(K, HparamType.INT, 4, 0.0, 64.0,
                        "demonstrations retrieved per query (IKE uses 32 on 2k-token models; the default "
                                + "model's context is 128 tokens, so demonstrations that do not fit are dropped "
                                + "least-similar first and the answer carries a TRUNCATED note)"),
                HparamSpec.of(DEMO_TYPE_RATIO, HparamType.FLOAT_LIST, List.of(1.0, 3.0, 4.0), 0.0, 100.0,
                        "copy : update : retain shares of the k demonstrations"),
                new HparamSpec(DEMO_SEPARATOR, HparamType.STRING, "eos", null, null, List.of("eos", "space"),
                        "what separates demonstrations: the model's end-of-text token or a space"));
    }
}
