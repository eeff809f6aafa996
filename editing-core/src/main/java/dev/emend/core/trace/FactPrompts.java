package dev.emend.core.trace;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Traceable prompts from an emend-facts file ({@code models/emend-facts/facts.json}): facts are
 * shuffled with the seed, and each gets one of its relation's templates (drawn with the same
 * random stream) among those that put the subject before the end, so there are tokens after the
 * subject. The answer is the true object.
 */
public final class FactPrompts {
    /** One fact as a trace input. */
    public record Fact(String subject, String relation, String object, String prompt) {}

    private FactPrompts() {
    }

    public static List<Fact> load(Path factsJson, long seed) throws IOException {
        JsonObject root = JsonParser.parseString(Files.readString(factsJson)).getAsJsonObject();
        Map<String, List<String>> templates = new HashMap<>();
        for (JsonElement e : root.getAsJsonArray("relations")) {
            JsonObject r = e.getAsJsonObject();
            List<String> ok = new ArrayList<>();
            for (JsonElement t : r.getAsJsonArray("templates")) {
                String s = t.getAsString();
                int at = s.indexOf("{}");
                if (at >= 0 && at + 2 < s.length()) {
                    ok.add(s);
                }
            }
            templates.put(r.get("id").getAsString(), ok);
        }
        List<JsonObject> facts = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray("facts")) {
            facts.add(e.getAsJsonObject());
        }
        Random rnd = new Random(seed);
        Collections.shuffle(facts, rnd);
        List<Fact> out = new ArrayList<>();
        for (JsonObject f : facts) {
            String relation = f.get("relation").getAsString();
            List<String> ts = templates.get(relation);
            if (ts == null || ts.isEmpty()) {
                continue;
            }
            String subject = f.get("subject").getAsString();
            out.add(new Fact(subject, relation, f.get("object").getAsString(),
                    ts.get(rnd.nextInt(ts.size())).replace("{}", subject)));
        }
        return out;
    }
}
