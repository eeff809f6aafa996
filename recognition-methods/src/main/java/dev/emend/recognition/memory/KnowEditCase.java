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

    /** The cases of a fact-edit file; any other layout is an error naming the file. */
    public static List<KnowEditCase> read(Path file) {
        JsonElement root = parse(file);
        if (!holdsFactEdits(root)) {
            throw new IllegalArgumentException(file + ": not a list of fact edits (records with prompt and target_new, "
                    + "as counterfact/zsre/recent have); KnowEdit's Sanitation, ConvSent and WikiBio layouts are task "
                    + "data sets, not edits the recognition phase can store");
        }
        List<KnowEditCase> out = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray()) {
            out.add(parse(e.getAsJsonObject()));
        }
        return out;
    }

    /**
     * Whether {@code file} holds fact edits (a JSON array of records with {@code prompt} and
     * {@code target_new}) rather than one of KnowEdit's task layouts (erasure, sentiment, long-form).
     */
    public static boolean holdsFactEdits(Path file) {
        return holdsFactEdits(parse(file));
    }

    private static boolean holdsFactEdits(JsonElement root) {
        if (!root.isJsonArray()) {
            return false;
        }
        for (JsonElement e : root.getAsJsonArray()) {
            if (!e.isJsonObject() || !e.getAsJsonObject().has("prompt") || !e.getAsJsonObject().has("target_new")) {
                return false;
            }
        }
        return true;
    }

    private static JsonElement parse(Path file) {
        try {
            return JsonParser.parseString(Files.readString(file));
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
