package dev.emend.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ScoreResult;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Score a target after a prompt, token by token (teacher-forced).",
            "Scores PROMPT + \" \" + TARGET (EasyEdit's convention). Per target token: its text, id, the model's argmax token, log-probability and whether the argmax hits;",
            "then token accuracy (EasyEdit's rewrite_acc) and the summed log-probability."})
final class ScoreCommand implements Callable<Integer> {
    enum Format { table, json }

    @Mixin
    ModelOption modelOption;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "Prompt, e.g. \"The capital of France is\".")
    String prompt;

    @Parameters(index = "1", paramLabel = "TARGET", description = "Target continuation, e.g. \"Paris\".")
    String target;

    @Option(names = "--format", defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Mixin
    SpaceOption spaceOption;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (spaceOption.remote(modelOption)) {
            return remote(out);
        }
        try (LanguageModel lm = modelOption.load()) {
            ScoreResult r = lm.score(lm.baseView(), prompt, target);
            int hits = 0;
            for (int i = 0; i < r.targetIds().length; i++) {
                hits += r.argmaxIds()[i] == r.targetIds()[i] ? 1 : 0;
            }
            if (format == Format.json) {
                JsonObject o = new JsonObject();
                o.addProperty("prompt", prompt);
                o.addProperty("target", target);
                o.addProperty("prompt_tokens", r.promptIds().length);
                JsonArray tokens = new JsonArray();
                for (int i = 0; i < r.targetIds().length; i++) {
                    JsonObject t = new JsonObject();
                    t.addProperty("token", text(lm, r.targetIds()[i]));
                    t.addProperty("id", r.targetIds()[i]);
                    t.addProperty("argmax", text(lm, r.argmaxIds()[i]));
                    t.addProperty("argmax_id", r.argmaxIds()[i]);
                    t.addProperty("log_prob", r.logProbs()[i]);
                    t.addProperty("hit", r.argmaxIds()[i] == r.targetIds()[i]);
                    tokens.add(t);
                }
                o.add("tokens", tokens);
                o.addProperty("token_accuracy", r.tokenAccuracy());
                o.addProperty("sum_log_prob", r.sumLogProb());
                out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o));
            } else {
                int w = 8;
                for (int i = 0; i < r.targetIds().length; i++) {
                    w = Math.max(w, Math.max(quoted(text(lm, r.targetIds()[i])).length(),
                            quoted(text(lm, r.argmaxIds()[i])).length()));
                }
                String fmt = "%-3s %-" + w + "s %7s  %-" + w + "s %9s  %s%n";
                out.printf(Locale.ROOT, fmt, "#", "token", "id", "argmax", "log-prob", "hit");
                for (int i = 0; i < r.targetIds().length; i++) {
                    boolean hit = r.argmaxIds()[i] == r.targetIds()[i];
                    out.printf(Locale.ROOT, fmt, i, quoted(text(lm, r.targetIds()[i])), r.targetIds()[i],
                            quoted(text(lm, r.argmaxIds()[i])), String.format(Locale.ROOT, "%.4f", r.logProbs()[i]),
                            hit ? "yes" : "no");
                }
                out.printf(Locale.ROOT, "token accuracy: %.3f (%d/%d)%n", r.tokenAccuracy(), hits, r.targetIds().length);
                out.printf(Locale.ROOT, "sum log-prob: %.4f%n", r.sumLogProb());
            }
        }
        out.flush();
        return 0;
    }

    /** Scoring on a space of the running gateway, printed like the local score. */
    private int remote(PrintWriter out) {
        JsonObject r = spaceOption.post("score", Map.of("prompt", prompt, "target", target));
        if (format == Format.json || spaceOption.json) {
            out.println(SpaceOption.pretty(r));
        } else {
            JsonArray tokens = r.getAsJsonArray("tokens");
            int w = 8;
            for (var e : tokens) {
                JsonObject t = e.getAsJsonObject();
                w = Math.max(w, Math.max(quoted(t.get("target_piece").getAsString()).length(), quoted(t.get("argmax_piece").getAsString()).length()));
            }
            String fmt = "%-3s %-" + w + "s %7s  %-" + w + "s %9s  %s%n";
            out.printf(Locale.ROOT, fmt, "#", "token", "id", "argmax", "log-prob", "hit");
            int hits = 0;
            for (var e : tokens) {
                JsonObject t = e.getAsJsonObject();
                boolean hit = t.get("target_id").getAsInt() == t.get("argmax_id").getAsInt();
                hits += hit ? 1 : 0;
                out.printf(Locale.ROOT, fmt, t.get("index").getAsInt(), quoted(t.get("target_piece").getAsString()), t.get("target_id").getAsInt(),
                        quoted(t.get("argmax_piece").getAsString()), String.format(Locale.ROOT, "%.4f", t.get("log_prob").getAsDouble()),
                        hit ? "yes" : "no");
            }
            out.printf(Locale.ROOT, "token accuracy: %.3f (%d/%d)%n", r.get("token_accuracy").getAsDouble(), hits, tokens.size());
            out.printf(Locale.ROOT, "sum log-prob: %.4f%n", r.get("sum_log_prob").getAsDouble());
        }
        out.flush();
        spec.commandLine().getErr().println(SpaceOption.answeredBy(r, ""));
        return 0;
    }

    private static String text(LanguageModel lm, int id) {
        return lm.tokenizer().decode(new int[] {id});
    }

    /** The token in double quotes with control characters escaped, so spaces and newlines show. */
    static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
