package dev.emend.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.tokenizer.SpecialTokens;
import dev.emend.core.tokenizer.TextTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Print the token ids of a text exactly as the model reads it: the checkpoint's special tokens",
            "(BOS where its tokenizer files ask for one) and then the tokenizer's ids. Per token: position, id,",
            "vocabulary entry (e.g. \"ĠParis\") and the text it decodes to. Loads config.json and the tokenizer",
            "files only, not the weights."})
final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    ModelOption modelOption;

    @Parameters(index = "0", paramLabel = "TEXT", description = "Text to tokenize (quote it; \\n etc. are not interpreted).")
    String text;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--no-special", description = "Leave out the special tokens the checkpoint adds (the tokenizer's ids alone).")
    boolean noSpecial;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = modelOption.dir();
        ModelConfig config = Checkpoints.readConfig(dir);
        try (TextTokenizer tok = Checkpoints.loadTokenizer(dir, config)) {
            SpecialTokens st = LanguageModel.specialTokens(dir, tok, ModelFamilies.forModelType(config.modelType()));
            int[] plain = tok.encode(text);
            int[] ids = noSpecial ? plain : st.frame(plain);
            int added = ids.length - plain.length;
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("model", dir.toString());
                o.addProperty("text", text);
                o.addProperty("special_tokens_added", added);
                JsonArray idArray = new JsonArray();
                JsonArray tokens = new JsonArray();
                JsonArray pieces = new JsonArray();
                for (int id : ids) {
                    idArray.add(id);
                    tokens.add(tok.token(id));
                    pieces.add(tok.decode(new int[] {id}));
                }
                o.add("ids", idArray);
                o.add("tokens", tokens);
                o.add("pieces", pieces);
                JsonArray policy = new JsonArray();
                st.describe(tok).forEach(policy::add);
                o.add("policy", policy);
                out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o));
            } else {
                for (String line : st.describe(tok)) {
                    out.println(line);
                }
                out.printf(Locale.ROOT, "%d tokens (%d special added%s)%n", ids.length, added,
                        noSpecial ? "; --no-special" : "");
                int w = 5;
                for (int id : ids) {
                    w = Math.max(w, ScoreCommand.quoted(tok.token(id)).length());
                }
                String fmt = "%5s %7s  %-" + w + "s  %s%n";
                out.printf(Locale.ROOT, fmt, "#", "id", "token", "text");
                for (int i = 0; i < ids.length; i++) {
                    out.printf(Locale.ROOT, fmt, i, ids[i], ScoreCommand.quoted(tok.token(ids[i])),
                            ScoreCommand.quoted(tok.decode(new int[] {ids[i]})) + (i < added ? "  (special)" : ""));
                }
                out.println("ids: " + java.util.Arrays.toString(ids));
            }
        }
        out.flush();
        return 0;
    }
}
