package dev.emend.cli;

import dev.emend.core.runtime.Generation;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import java.io.PrintWriter;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt; print the prompt followed by the continuation.",
            "Greedy by default; --temperature > 0 samples (with --top-k/--top-p and a --seed).",
            "Generation stops at end-of-text, at a --stop string (cut there) or after --max-tokens."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOption modelOption;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "Text to continue.")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "20", description = "Most new tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy; > 0 samples (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely tokens; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass; 1 = off (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop when the continuation contains STR (repeatable).")
    List<String> stops = new ArrayList<>();

    @Option(names = "--no-cache", description = "Recompute the whole sequence every step instead of using the KV cache.")
    boolean noCache;

    @Mixin
    SpaceOption spaceOption;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (spaceOption.remote(modelOption)) {
            return remote();
        }
        GenerationOptions options = new GenerationOptions(maxTokens, temperature, topK, topP, seed,
                List.of(), stops, !noCache, true);
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = modelOption.load()) {
            long t0 = System.nanoTime();
            Generation g = lm.generate(lm.baseView(), prompt, options);
            double seconds = (System.nanoTime() - t0) / 1e9;
            String text = stripEos(lm, g);
            out.println(prompt + text);
            out.flush();
            if (EmendCli.verbose(spec)) {
                spec.commandLine().getErr().printf(java.util.Locale.ROOT, "[%d tokens, stop: %s, %.2f s]%n",
                        g.tokenIds().length, g.stopReason(), seconds);
            }
        }
        return 0;
    }

    /** Generation on a space of the running gateway: the same options, the gateway's defaults for the rest. */
    private int remote() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("prompt", prompt);
        body.put("max_new_tokens", maxTokens);
        body.put("temperature", temperature);
        body.put("top_k", topK);
        body.put("top_p", topP);
        body.put("seed", seed);
        if (!stops.isEmpty()) {
            body.put("stop", stops);
        }
        JsonObject g = spaceOption.post("generate", body);
        PrintWriter out = spec.commandLine().getOut();
        if (spaceOption.json) {
            out.println(SpaceOption.pretty(g));
        } else {
            out.println(prompt + g.get("text").getAsString());
        }
        out.flush();
        spec.commandLine().getErr().println(SpaceOption.answeredBy(g, g.has("finish_reason") ? "stop: " + g.get("finish_reason").getAsString() : ""));
        return 0;
    }

    /** The continuation without a final end-of-text token (generation stopped there). */
    static String stripEos(LanguageModel lm, Generation g) {
        String text = g.text();
        int[] ids = g.tokenIds();
        if (ids.length > 0 && "stop_token".equals(g.stopReason())) {
            String last = lm.tokenizer().decode(new int[] {ids[ids.length - 1]});
            if (text.endsWith(last)) {
                text = text.substring(0, text.length() - last.length());
            }
        }
        return text;
    }
}
