package dev.emend.recognition.memory;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One KnowEdit-format case (counterfact / zsre / recent, their {@code -train} splits), reduced to
 * what the recognition phase uses: the edit, its paraphrase and its locality probes with their first
 * accepted answer ({@code ground_truth} may be a string, a list or a list of alias lists).
 */
public record KnowEditCase(String prompt, String subject, String targetNew, String rephrase,
                           List<Probe> locality, List<Probe> portability) {
    /** A prompt with the answer a scorer compares against. */
    public record Probe(String prompt, String answer) {}

    public KnowEditCase {
        locality = List.copyOf(locality);
        portability = List.copyOf(portability);
    }

    public static List<KnowEditCase> read(Path file) {
        try {
            JsonArray array = JsonParser.parseString(Files.readString(file)).getAsJsonArray();
            List<KnowEditCase> out = new ArrayList<>(array.size());
            for (JsonElement e : array) {
                out.add(parse(e.getAsJsonObject()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read KnowEdit cases from " + file, e);
        }
    }

    static KnowEditCase parse(JsonObject c) {
        String rephrase = c.has("rephrase_prompt") ? c.get("rephrase_prompt").getAsString() : null;
        return new KnowEditCase(c.get("prompt").getAsString(),
                c.has("subject") ? c.get("subject").getAsString() : "",
                c.get("target_new").getAsString(), rephrase, probes(c, "locality"), probes(c, "portability"));
    }

    private static List<Probe> probes(JsonObject c, String field) {
        List<Probe> out = new ArrayList<>();
        if (!c.has(field) || !c.get(field).isJsonObject()) {
            return out;
        }
        for (var kind : c.getAsJsonObject(field).entrySet()) {
            if (!kind.getValue().isJsonArray()) {
                continue;
            }
            for (JsonElement p : kind.getValue().getAsJsonArray()) {
                JsonObject o = p.getAsJsonObject();
                String answer = first(o.get("ground_truth"));
                if (answer != null && o.has("prompt")) {
                    out.add(new Probe(o.get("prompt").getAsString(), answer));
                }
            }
        }
        return out;
    }

    /** The first accepted answer of a string, list or list-of-aliases {@code ground_truth}. */
    static String first(JsonElement gt) {
        while (gt != null && gt.isJsonArray()) {
            JsonArray a = gt.getAsJsonArray();
            gt = a.isEmpty() ? null : a.get(0);
        }
        return gt == null || gt.isJsonNull() ? null : gt.getAsString();
    }
}
