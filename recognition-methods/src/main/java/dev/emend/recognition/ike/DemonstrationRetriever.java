package dev.emend.recognition.ike;

import dev.emend.recognition.memory.Demonstration;
import dev.emend.recognition.memory.DemonstrationPool;
import dev.emend.recognition.retrieval.Embedder;
import dev.emend.recognition.retrieval.Fusion;
import dev.emend.recognition.retrieval.Hit;
import dev.emend.recognition.retrieval.HybridIndex;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * IKE's demonstration selection: the pool indexed once (BM25 + model-embedding k-NN, same Lucene
 * index type as the edit memory), the nearest demonstrations to the query sentence
 * ({@code new fact + prompt}, EasyEdit's query) picked with per-kind quotas from
 * {@code demo_type_ratio} (copy : update : retain), then ordered most similar LAST, nearest to the
 * query, as in the IKE paper.
 *
 * <p>EasyEdit takes the top-k of a pool whose kinds are mixed as built; the paper fixes the ratio
 * of kinds. Here the ratio is explicit (quotas by largest remainder); a kind with too few
 * candidates leaves its places to the next best of any kind.
 */
public final class DemonstrationRetriever implements AutoCloseable {
    private final List<Demonstration> demos;
    private final HybridIndex index;
    private final Embedder embedder;

    public DemonstrationRetriever(DemonstrationPool pool, Embedder embedder) {
        this.demos = pool.demonstrations();
        this.embedder = embedder;
        this.index = new HybridIndex(embedder.dimension());
        List<String> texts = demos.stream().map(Demonstration::retrievalText).toList();
        List<float[]> vectors = embedder.embedBatch(texts);
        for (int i = 0; i < demos.size(); i++) {
            index.add(Integer.toString(i), texts.get(i), vectors.get(i));
        }
    }

    public int size() {
        return demos.size();
    }

    /** The {@code k} demonstrations for a query, least similar first, most similar last. */
    public List<Demonstration> select(String factStatement, String queryPrompt, int k, List<Double> ratio, Fusion fusion) {
        if (k <= 0 || demos.isEmpty()) {
            return List.of();
        }
        String query = factStatement + " " + queryPrompt;
        Fusion wide = new Fusion(fusion.bm25Weight(), fusion.knnWeight(), Math.max(fusion.candidates(), 4 * k));
        List<Hit> hits = index.search(query, embedder.embed(query), wide);
        int[] quota = quotas(k, ratio);
        Map<Demonstration.Kind, Integer> left = new EnumMap<>(Demonstration.Kind.class);
        for (Demonstration.Kind kind : Demonstration.Kind.values()) {
            left.put(kind, quota[kind.ordinal()]);
        }
        List<Hit> chosen = new ArrayList<>();
        List<Hit> rest = new ArrayList<>();
        for (Hit h : hits) {
            Demonstration d = demos.get(Integer.parseInt(h.id()));
            if (chosen.size() < k && left.get(d.kind()) > 0) {
                left.merge(d.kind(), -1, Integer::sum);
                chosen.add(h);
            } else {
                rest.add(h);
            }
        }
        for (Hit h : rest) {
            if (chosen.size() >= k) {
                break;
            }
            chosen.add(h);
        }
        chosen.sort(Comparator.comparingDouble(Hit::fused).thenComparing(Hit::id, Comparator.reverseOrder()));
        return chosen.stream().map(h -> demos.get(Integer.parseInt(h.id()))).toList();
    }

    /** Places per kind (copy, update, retain) for {@code k}: largest-remainder rounding of the ratio. */
    public static int[] quotas(int k, List<Double> ratio) {
        double sum = ratio.stream().mapToDouble(Double::doubleValue).sum();
        int[] q = new int[3];
        double[] rem = new double[3];
        int given = 0;
        for (int i = 0; i < 3; i++) {
            double exact = k * ratio.get(i) / sum;
            q[i] = (int) Math.floor(exact);
            rem[i] = exact - q[i];
            given += q[i];
        }
        while (given < k) {
            int best = 0;
            for (int i = 1; i < 3; i++) {
                if (rem[i] > rem[best]) {
                    best = i;
                }
            }
            q[best]++;
            rem[best] = -1;
            given++;
        }
        return q;
    }

    @Override
    public void close() {
        index.close();
    }
}
