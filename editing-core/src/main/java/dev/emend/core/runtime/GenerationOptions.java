package dev.emend.core.runtime;

import java.util.List;

/**
 * How to generate: at most {@code maxNewTokens}; greedy when {@code temperature <= 0}, else
 * sampling with top-k (0 = off) and top-p (1 = off) from a generator seeded by {@code seed};
 * stop at the end-of-text token, any id in {@code stopTokenIds}, or when the generated text
 * contains any of {@code stopStrings} (which is cut there). {@code useCache=false} recomputes
 * the whole sequence each step (slow; for checking the cache); {@code stopAtEos=false} keeps going
 * past end-of-text.
 */
public record GenerationOptions(int maxNewTokens, float temperature, int topK, float topP, long seed,
                                List<Integer> stopTokenIds, List<String> stopStrings, boolean useCache,
                                boolean stopAtEos) {
    public GenerationOptions {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be at least 1, got " + maxNewTokens);
        }
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        stopTokenIds = stopTokenIds == null ? List.of() : List.copyOf(stopTokenIds);
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
    }

    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0f, 0, 1f, 0L, List.of(), List.of(), true, true);
    }

    public static GenerationOptions sampling(int maxNewTokens, float temperature, int topK, float topP, long seed) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, List.of(), List.of(), true, true);
    }

    public GenerationOptions withCache(boolean cache) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, stopStrings, cache, stopAtEos);
    }

    /** Keeps generating past the end-of-text token (benchmarks that need a fixed length). */
    public GenerationOptions withoutEos() {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, stopStrings, useCache, false);
    }

    public GenerationOptions withStopStrings(List<String> stops) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, stops, useCache, stopAtEos);
    }
}
