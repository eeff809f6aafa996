package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.Hooks;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden parity: every checkpoint under {@code src/test/resources/golden/} (written, with its
 * expected numbers, by the independent PyTorch reference in {@code src/test/reference/}) loads
 * through {@link Checkpoints#load} and reproduces the reference's next-token log-probs and
 * last-position log-softmax to {@value #TOLERANCE} (padded batches as given, positions from the
 * mask) and its 8 greedy tokens (each row alone, full recomputation) exactly. The format is
 * described in the reference's README.
 */
class GoldenModelsTest {
    static final double TOLERANCE = 1e-4;
    static final List<String> FAMILIES = List.of("gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3");

    static Path root() {
        try {
            return Path.of(GoldenModelsTest.class.getResource("/golden").toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("golden fixtures missing from the test classpath (src/test/resources/golden)", e);
        }
    }

    static Stream<String> cases() throws IOException {
        try (Stream<Path> s = Files.list(root())) {
            List<String> names = s.filter(p -> Files.isRegularFile(p.resolve("golden.json")))
                    .map(p -> p.getFileName().toString()).sorted().toList();
            assertFalse(names.isEmpty(), "no golden cases under " + root());
            return names.stream();
        }
    }

    /** Every family has at least one golden checkpoint (a new family needs one). */
    @org.junit.jupiter.api.Test
    void everyFamilyHasAGoldenCheckpoint() throws IOException {
        Set<String> covered = new TreeSet<>();
        for (String c : cases().toList()) {
            covered.add(golden(c).get("family").getAsString());
        }
        Set<String> expected = new TreeSet<>();
        dev.emend.core.model.ModelFamilies.all().forEach(f -> expected.add(f.name()));
        assertEquals(expected, covered);
        assertEquals(new TreeSet<>(FAMILIES), expected);
    }

    static JsonObject golden(String name) throws IOException {
        return JsonParser.parseString(Files.readString(root().resolve(name).resolve("golden.json"))).getAsJsonObject();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheReference(String name) throws IOException {
        JsonObject g = golden(name);
        try (LanguageModel lm = Checkpoints.load(root().resolve(name))) {
            assertEquals(g.get("family").getAsString(), lm.family().name());
            List<String> report = new ArrayList<>();
            for (JsonElement e : g.getAsJsonArray("cases")) {
                JsonObject c = e.getAsJsonObject();
                double worst = checkCase(lm, name + "/" + c.get("name").getAsString(), c);
                report.add(String.format("%s %.2e", c.get("name").getAsString(), worst));
            }
            System.out.println("golden " + name + ": max |Δ log-prob| " + String.join(", ", report));
        }
    }

    /** Checks one case; returns the largest log-prob difference seen. */
    static double checkCase(LanguageModel lm, String label, JsonObject c) {
        long[][] ids = rows(c.getAsJsonArray("input_ids"));
        int[][] mask = ints(c.getAsJsonArray("attention_mask"));
        int batch = ids.length;
        int len = ids[0].length;
        int vocab = lm.config().vocabSize();
        float[] logits = lm.logits(lm.baseView(), new ForwardInput(ids, mask));
        int from = c.has("next_logprobs_from") ? c.get("next_logprobs_from").getAsInt() : 0;
        double worst = 0;
        JsonArray next = c.getAsJsonArray("next_logprobs");
        JsonArray last = c.getAsJsonArray("last_logprobs");
        JsonArray greedy = c.getAsJsonArray("greedy");
        for (int b = 0; b < batch; b++) {
            JsonArray row = next.get(b).getAsJsonArray();
            assertEquals(len - 1 - from, row.size(), label + " row " + b + " next_logprobs length");
            for (int t = from; t < len - 1; t++) {
                JsonElement want = row.get(t - from);
                if (want.isJsonNull()) {
                    assertTrue(mask[b][t] == 0 || mask[b][t + 1] == 0, label + " row " + b + " position " + t + " is null but real");
                    continue;
                }
                double got = logSoftmax(logits, (b * len + t) * vocab, vocab)[(int) ids[b][t + 1]];
                double d = Math.abs(got - want.getAsDouble());
                worst = Math.max(worst, d);
                assertTrue(d <= TOLERANCE, label + " row " + b + " position " + t + ": log-prob " + got
                        + " vs reference " + want.getAsDouble() + " (Δ " + d + ")");
            }
            int lastReal = -1;
            for (int t = 0; t < len; t++) {
                lastReal = mask[b][t] == 1 ? t : lastReal;
            }
            double[] lp = logSoftmax(logits, (b * len + lastReal) * vocab, vocab);
            JsonArray want = last.get(b).getAsJsonArray();
            assertEquals(vocab, want.size(), label + " last_logprobs width");
            for (int v = 0; v < vocab; v++) {
                double d = Math.abs(lp[v] - want.get(v).getAsDouble());
                worst = Math.max(worst, d);
                assertTrue(d <= TOLERANCE, label + " row " + b + " last position, token " + v + ": " + lp[v]
                        + " vs reference " + want.get(v).getAsDouble());
            }
            long[] alone = realTokens(ids[b], mask[b]);
            assertArrayEquals(longs(greedy.get(b).getAsJsonArray()), greedyAlone(lm, alone, greedy.get(b).getAsJsonArray().size()),
                    label + " row " + b + " greedy tokens");
        }
        return worst;
    }

    static long[] realTokens(long[] ids, int[] mask) {
        List<Long> out = new ArrayList<>();
        for (int t = 0; t < ids.length; t++) {
            if (mask[t] == 1) {
                out.add(ids[t]);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** {@code n} greedy tokens, recomputing the whole sequence at every step (no cache, no stop token). */
    static long[] greedyAlone(LanguageModel lm, long[] prompt, int n) {
        long[] seq = prompt.clone();
        long[] out = new long[n];
        int vocab = lm.config().vocabSize();
        for (int i = 0; i < n; i++) {
            float[] logits;
            // One manager per step: a 3,100-token forward holds ~1 GB of activations until closed.
            try (NDManager m = lm.manager().newSubManager()) {
                logits = lm.model().forward(m, lm.weights(), ForwardInput.of(seq), Hooks.NONE, null)
                        .logits().toFloatArray();
            }
            int at = (seq.length - 1) * vocab;
            int best = 0;
            for (int v = 1; v < vocab; v++) {
                if (logits[at + v] > logits[at + best]) {
                    best = v;
                }
            }
            out[i] = best;
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = best;
        }
        return out;
    }

    static double[] logSoftmax(float[] logits, int offset, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[offset + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[offset + v] - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            out[v] = logits[offset + v] - lse;
        }
        return out;
    }

    static long[][] rows(JsonArray rows) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = longs(rows.get(i).getAsJsonArray());
        }
        return out;
    }

    static long[] longs(JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    static int[][] ints(JsonArray rows) {
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            out[i] = new int[r.size()];
            for (int j = 0; j < r.size(); j++) {
                out[i][j] = r.get(j).getAsInt();
            }
        }
        return out;
    }
}
