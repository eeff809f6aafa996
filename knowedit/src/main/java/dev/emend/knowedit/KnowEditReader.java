package dev.emend.knowedit;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the six KnowEdit JSON formats (and the default model's {@code benchmarks/emend-facts/*.json},
 * which use the WikiData_recent, ZsRE and WikiData_counterfact shapes) into {@link EvalCase}s.
 *
 * <p>All-or-nothing: the whole file is parsed and checked before anything is returned; the first
 * problem raises one {@link KnowEditFormatException} naming the file, the record index and the
 * field path. Side-effect free; the reader holds no state.
 *
 * <p>Shapes accepted, from EasyEdit's {@code KnowEditDataset} and examples/KnowEdit.md:
 * <ul>
 *   <li>{@code ground_truth} (case, locality and portability items): a string, a list of strings
 *       (aliases), or a list of alias lists ({@code [["Berlin","Berlin, Germany"]]}). Alias lists
 *       are flattened in order, so the first entry is EasyEdit's {@code ground_truth[0][0]}.
 *       Deviation from the proto comment ("take the first inner list"): WikiData_recent's
 *       Logical_Generalization holds alternative answers as separate inner lists
 *       ({@code [["no"],["incorrect"],["false"]]}); taking only the first would drop them. The
 *       scored answer (first entry) is the same either way.</li>
 *   <li>probe {@code prompt}: a string, or a list of strings (one probe per prompt, same answers).</li>
 *   <li>{@code rephrase_prompt}: a string or a list of strings (absent in KnowEdit's
 *       WikiData_recent/counterfact files; present in emend-facts).</li>
 *   <li>unknown record keys (e.g. ZsRE {@code cond}) are kept in {@link EvalCase#extra()}.</li>
 * </ul>
 */
public final class KnowEditReader {

    /**
     * ConvSent prompt. EasyEdit (examples/run_convsent_llama2.py) draws one of 13 templates at
     * random and wraps it in "From the sentiment dataset, answer {} positively/negatively."; we
     * use its first template, deterministically, and leave the method-specific wrapper to the
     * runner (the chosen sentiment is in extra.target_sentiment).
     */
    public static final String CONVSENT_TEMPLATE = "What do you think of %s?";

    private static final TypeAdapter<JsonElement> JSON = new Gson().getAdapter(JsonElement.class);

    private KnowEditReader() {
    }

    /** Reads a file, detecting its format from its content. */
    public static KnowEditDataset read(Path file) throws IOException {
        JsonElement root = parse(file);
        return read(file, root, detect(file, root));
    }

    /** Reads a file in the given format; the content must match it. */
    public static KnowEditDataset read(Path file, KnowEditFormat format) throws IOException {
        return read(file, parse(file), format);
    }

    /** Detects the format of a file without building cases. */
    public static KnowEditFormat detect(Path file) throws IOException {
        return detect(file, parse(file));
    }

    // ---------------------------------------------------------------- parsing the file

    /**
     * Reads uploaded content (a file's bytes sent with the request instead of a path), in the given
     * format or, when {@code format} is null, detected; {@code name} stands for the file in messages.
     */
    public static KnowEditDataset read(String name, byte[] content, KnowEditFormat format) throws IOException {
        Path label = Path.of(name);
        JsonElement root;
        try (Reader r = new java.io.InputStreamReader(new java.io.ByteArrayInputStream(content), StandardCharsets.UTF_8)) {
            root = parse(label, r);
        }
        return read(label, root, format == null ? detect(label, root) : format);
    }

    private static JsonElement parse(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(file, r);
        }
    }

    private static JsonElement parse(Path file, Reader r) throws IOException {
        try (JsonReader jr = new JsonReader(r)) {
            jr.setLenient(false);
            JsonElement root = JSON.read(jr);
            if (jr.peek() != JsonToken.END_DOCUMENT) {
                throw new KnowEditFormatException(file, -1, "",
                        "unexpected content after the JSON value at " + jr.getPath());
            }
            return root;
        } catch (JsonParseException | IllegalStateException | java.io.EOFException
                 | com.google.gson.stream.MalformedJsonException e) {
            throw new KnowEditFormatException(file, -1, "", "not valid JSON: " + e.getMessage()
                    + " (fix the file; nothing was loaded)", e);
        }
    }

    static KnowEditFormat detect(Path file, JsonElement root) {
        if (root.isJsonObject()) {
            Set<String> keys = root.getAsJsonObject().keySet();
            if (keys.contains("K_F") || keys.contains("K_R") || keys.contains("success")) {
                return KnowEditFormat.SANITATION;
            }
            throw new KnowEditFormatException(file, -1, "",
                    "a top-level object is only valid for Sanitation ({K_F, K_R} or {success, locality}); found keys "
                            + keys + ". Pass the format explicitly or fix the file");
        }
        if (!root.isJsonArray()) {
            throw new KnowEditFormatException(file, -1, "", "expected a JSON array of records, found " + kind(root));
        }
        JsonArray arr = root.getAsJsonArray();
        if (arr.isEmpty()) {
            throw new KnowEditFormatException(file, -1, "",
                    "the file holds no records, so its format cannot be detected; pass the format explicitly");
        }
        if (!arr.get(0).isJsonObject()) {
            throw new KnowEditFormatException(file, 0, "", "expected a JSON object, found " + kind(arr.get(0)));
        }
        JsonObject first = arr.get(0).getAsJsonObject();
        if (first.has("ent") || first.has("pos") || first.has("neg")) {
            return KnowEditFormat.CONVSENT;
        }
        if (first.has("text") || first.has("labels") || first.has("concept")) {
            return KnowEditFormat.WIKIBIO;
        }
        JsonElement gt = first.get("ground_truth");
        if (first.has("cond") || (gt != null && gt.isJsonArray())) {
            return KnowEditFormat.ZSRE;
        }
        if (gt != null && gt.isJsonPrimitive()) {
            return KnowEditFormat.WIKIDATA_COUNTERFACT;
        }
        if (first.has("prompt") && first.has("target_new")) {
            return KnowEditFormat.WIKIDATA_RECENT;
        }
        throw new KnowEditFormatException(file, 0, "",
                "cannot tell the KnowEdit format from keys " + first.keySet()
                        + "; expected prompt/target_new (recent, zsre, counterfact), text/labels/concept (wikibio) "
                        + "or ent/pos/neg (convsent)");
    }

    private static KnowEditDataset read(Path file, JsonElement root, KnowEditFormat format) {
        try {
            return switch (format) {
                case SANITATION -> readSanitation(file, root);
                default -> readArray(file, root, format);
            };
        } catch (Bad b) {
            throw new KnowEditFormatException(file, b.record, b.path, b.getMessage());
        }
    }

    private static KnowEditDataset readArray(Path file, JsonElement root, KnowEditFormat format) {
        if (!root.isJsonArray()) {
            throw new Bad(-1, "", "format " + format + " expects a JSON array of records, found " + kind(root));
        }
        JsonArray arr = root.getAsJsonArray();
        List<EvalCase> cases = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            JsonElement e = arr.get(i);
            if (!e.isJsonObject()) {
                throw new Bad(i, "", "expected a JSON object, found " + kind(e));
            }
            JsonObject o = e.getAsJsonObject();
            String id = format.shortName() + "/" + i;
            cases.add(switch (format) {
                case WIKIBIO -> wikiBio(i, o, id);
                case CONVSENT -> convSent(i, o, id);
                default -> fact(i, o, id, format);
            });
        }
        return new KnowEditDataset(file, format, cases, Map.of());
    }

    // ---------------------------------------------------------------- per-format records

    private static final Set<String> FACT_KEYS = Set.of(
            "subject", "prompt", "target_new", "ground_truth", "rephrase_prompt", "locality", "portability");

    /** WikiData_recent, ZsRE, WikiData_counterfact (and emend-facts). */
    private static EvalCase fact(int i, JsonObject o, String id, KnowEditFormat format) {
        String subject = string(i, o, "subject", true);
        String prompt = string(i, o, "prompt", true);
        String target = string(i, o, "target_new", true);
        List<String> gt = o.has("ground_truth") && !o.get("ground_truth").isJsonNull()
                ? answers(i, o.get("ground_truth"), "ground_truth") : List.of();
        if (format == KnowEditFormat.WIKIDATA_COUNTERFACT && gt.isEmpty()) {
            throw new Bad(i, "ground_truth", "missing; WikiData_counterfact records carry the old answer as a string");
        }
        List<String> rephrase = o.has("rephrase_prompt") && !o.get("rephrase_prompt").isJsonNull()
                ? strings(i, o.get("rephrase_prompt"), "rephrase_prompt") : List.of();
        Map<String, List<Probe>> loc = probes(i, o, "locality");
        Map<String, List<Probe>> port = probes(i, o, "portability");
        return new EvalCase(prompt, subject, target, gt, rephrase, loc, port, id, extra(o, FACT_KEYS));
    }

    private static final Set<String> WIKIBIO_KEYS = Set.of("text", "labels", "concept", "locality");

    private static EvalCase wikiBio(int i, JsonObject o, String id) {
        String prompt = string(i, o, "text", true);
        String target = string(i, o, "labels", true);
        String concept = string(i, o, "concept", true);
        return new EvalCase(prompt, concept, target, List.of(), List.of(), probes(i, o, "locality"), Map.of(), id,
                extra(o, WIKIBIO_KEYS));
    }

    private static final Set<String> CONVSENT_KEYS = Set.of("ent", "pos", "neg");

    /**
     * ConvSent: the target sentiment alternates with the record index (even: positive, odd:
     * negative). EasyEdit draws it at random (random.choice([0, 1]) with seed 0); a fixed rule
     * keeps runs reproducible and balanced. The target is the first response of that sentiment,
     * as in EasyEdit.
     */
    private static EvalCase convSent(int i, JsonObject o, String id) {
        String ent = string(i, o, "ent", true);
        List<String> pos = nonEmptyStrings(i, o, "pos");
        List<String> neg = nonEmptyStrings(i, o, "neg");
        boolean positive = i % 2 == 0;
        Map<String, Object> extra = new LinkedHashMap<>(extra(o, CONVSENT_KEYS));
        extra.put("ent", ent);
        extra.put("pos", pos);
        extra.put("neg", neg);
        extra.put("target_sentiment", positive ? "pos" : "neg");
        return new EvalCase(String.format(CONVSENT_TEMPLATE, ent), ent, positive ? pos.get(0) : neg.get(0),
                List.of(), List.of(), Map.of(), Map.of(), id, extra);
    }

    private static final List<String> SANITATION_EDIT_LISTS = List.of("K_F", "success");
    private static final List<String> SANITATION_LOCALITY_LISTS = List.of("K_R", "locality");

    private static KnowEditDataset readSanitation(Path file, JsonElement root) {
        if (!root.isJsonObject()) {
            throw new Bad(-1, "", "Sanitation expects a JSON object {K_F, K_R} (train) or {success, locality} (test), found "
                    + kind(root));
        }
        JsonObject o = root.getAsJsonObject();
        for (String k : o.keySet()) {
            if (!SANITATION_EDIT_LISTS.contains(k) && !SANITATION_LOCALITY_LISTS.contains(k)) {
                throw new Bad(-1, k, "unknown Sanitation list; expected K_F, K_R, success or locality");
            }
        }
        if (!o.has("K_F") && !o.has("success")) {
            throw new Bad(-1, "", "Sanitation file has neither K_F (train) nor success (test): no edits to read");
        }
        List<EvalCase> cases = new ArrayList<>();
        for (String list : SANITATION_EDIT_LISTS) {
            if (!o.has(list)) {
                continue;
            }
            JsonArray arr = array(-1, o.get(list), list);
            for (int i = 0; i < arr.size(); i++) {
                JsonObject item = item(i, arr.get(i), list);
                String q = string(i, item, "question", true, list + "[" + i + "].");
                List<String> gt = answers(i, require(i, item, "ground_truth", list + "[" + i + "]."),
                        list + "[" + i + "].ground_truth");
                String target = string(i, item, "target_new", true, list + "[" + i + "].");
                String subject = item.has("subject") ? string(i, item, "subject", false, list + "[" + i + "].") : "";
                Map<String, Object> extra = new LinkedHashMap<>(
                        extra(item, Set.of("question", "ground_truth", "target_new", "subject")));
                extra.put("question", q);
                extra.put("split", list);
                cases.add(new EvalCase(q, subject, target, gt, List.of(), Map.of(), Map.of(),
                        "sanitation/" + list + "/" + i, extra));
            }
        }
        Map<String, List<Probe>> shared = new LinkedHashMap<>();
        for (String list : SANITATION_LOCALITY_LISTS) {
            if (!o.has(list)) {
                continue;
            }
            JsonArray arr = array(-1, o.get(list), list);
            List<Probe> probes = new ArrayList<>(arr.size());
            for (int i = 0; i < arr.size(); i++) {
                JsonObject item = item(i, arr.get(i), list);
                String q = string(i, item, "question", true, list + "[" + i + "].");
                List<String> gt = answers(i, require(i, item, "ground_truth", list + "[" + i + "]."),
                        list + "[" + i + "].ground_truth");
                probes.add(new Probe(q, gt));
            }
            shared.put(list, probes);
        }
        return new KnowEditDataset(file, KnowEditFormat.SANITATION, cases, shared);
    }

    // ---------------------------------------------------------------- field helpers

    /** Internal: a problem at (record, path); turned into KnowEditFormatException with the file. */
    private static final class Bad extends RuntimeException {
        final int record;
        final String path;

        Bad(int record, String path, String message) {
            super(message, null, false, false);
            this.record = record;
            this.path = path;
        }
    }

    private static JsonObject item(int i, JsonElement e, String list) {
        if (!e.isJsonObject()) {
            throw new Bad(i, list + "[" + i + "]", "expected an object {question, ground_truth, target_new}, found " + kind(e));
        }
        return e.getAsJsonObject();
    }

    private static JsonElement require(int i, JsonObject o, String key, String prefix) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new Bad(i, prefix + key, "missing (required)");
        }
        return e;
    }

    private static String string(int i, JsonObject o, String key, boolean required) {
        return string(i, o, key, required, "");
    }

    private static String string(int i, JsonObject o, String key, boolean required, String prefix) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (required) {
                throw new Bad(i, prefix + key, "missing (required)");
            }
            return "";
        }
        if (!isString(e)) {
            throw new Bad(i, prefix + key, "expected a string, found " + kind(e));
        }
        String s = e.getAsString();
        if (required && s.isBlank()) {
            throw new Bad(i, prefix + key, "must not be empty");
        }
        return s;
    }

    private static List<String> nonEmptyStrings(int i, JsonObject o, String key) {
        JsonElement e = require(i, o, key, "");
        List<String> l = strings(i, e, key);
        if (l.isEmpty()) {
            throw new Bad(i, key, "must hold at least one string");
        }
        return l;
    }

    /** A string or a list of strings. */
    private static List<String> strings(int i, JsonElement e, String path) {
        if (isString(e)) {
            return List.of(e.getAsString());
        }
        if (!e.isJsonArray()) {
            throw new Bad(i, path, "expected a string or a list of strings, found " + kind(e));
        }
        JsonArray a = e.getAsJsonArray();
        List<String> out = new ArrayList<>(a.size());
        for (int k = 0; k < a.size(); k++) {
            if (!isString(a.get(k))) {
                throw new Bad(i, path + "[" + k + "]", "expected a string, found " + kind(a.get(k)));
            }
            out.add(a.get(k).getAsString());
        }
        return out;
    }

    /** ground_truth: a string, a list of strings, or a list of alias lists; never empty. */
    private static List<String> answers(int i, JsonElement e, String path) {
        Set<String> out = new LinkedHashSet<>();
        if (isString(e)) {
            out.add(e.getAsString());
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            for (int k = 0; k < a.size(); k++) {
                JsonElement x = a.get(k);
                if (isString(x)) {
                    out.add(x.getAsString());
                } else if (x.isJsonArray()) {
                    JsonArray inner = x.getAsJsonArray();
                    for (int m = 0; m < inner.size(); m++) {
                        if (!isString(inner.get(m))) {
                            throw new Bad(i, path + "[" + k + "][" + m + "]",
                                    "expected a string (an alias), found " + kind(inner.get(m)));
                        }
                        out.add(inner.get(m).getAsString());
                    }
                } else {
                    throw new Bad(i, path + "[" + k + "]",
                            "expected a string or a list of aliases, found " + kind(x));
                }
            }
        } else {
            throw new Bad(i, path, "expected a string, a list of strings or a list of alias lists, found " + kind(e));
        }
        out.removeIf(String::isBlank);
        if (out.isEmpty()) {
            throw new Bad(i, path, "holds no answer; give at least one non-empty string");
        }
        return List.copyOf(out);
    }

    /** locality / portability: {key: [{prompt, ground_truth}, ...]}; absent or null gives {}. */
    private static Map<String, List<Probe>> probes(int i, JsonObject o, String section) {
        JsonElement e = o.get(section);
        if (e == null || e.isJsonNull()) {
            return Map.of();
        }
        if (!e.isJsonObject()) {
            throw new Bad(i, section, "expected an object of probe lists ({\"Relation_Specificity\": [...]}), found " + kind(e));
        }
        Map<String, List<Probe>> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> en : e.getAsJsonObject().entrySet()) {
            String path = section + "." + en.getKey();
            if (en.getValue().isJsonNull()) {
                continue;
            }
            JsonArray arr = array(i, en.getValue(), path);
            List<Probe> probes = new ArrayList<>();
            for (int k = 0; k < arr.size(); k++) {
                String ip = path + "[" + k + "]";
                JsonElement it = arr.get(k);
                if (!it.isJsonObject()) {
                    throw new Bad(i, ip, "expected an object {prompt, ground_truth}, found " + kind(it));
                }
                JsonObject io = it.getAsJsonObject();
                JsonElement p = io.get("prompt");
                if (p == null || p.isJsonNull()) {
                    throw new Bad(i, ip + ".prompt", "missing (required)");
                }
                List<String> prompts = strings(i, p, ip + ".prompt");
                JsonElement g = io.get("ground_truth");
                if (g == null || g.isJsonNull()) {
                    throw new Bad(i, ip + ".ground_truth", "missing (required)");
                }
                List<String> gt = answers(i, g, ip + ".ground_truth");
                for (int m = 0; m < prompts.size(); m++) {
                    if (prompts.get(m).isBlank()) {
                        throw new Bad(i, ip + ".prompt" + (prompts.size() > 1 ? "[" + m + "]" : ""), "must not be empty");
                    }
                    probes.add(new Probe(prompts.get(m), gt));
                }
            }
            out.put(en.getKey(), probes);
        }
        return out;
    }

    private static JsonArray array(int i, JsonElement e, String path) {
        if (!e.isJsonArray()) {
            throw new Bad(i, path, "expected a list, found " + kind(e));
        }
        return e.getAsJsonArray();
    }

    private static Map<String, Object> extra(JsonObject o, Set<String> known) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> en : o.entrySet()) {
            if (!known.contains(en.getKey()) && !en.getValue().isJsonNull()) {
                out.put(en.getKey(), plain(en.getValue()));
            }
        }
        return out;
    }

    /** JSON to what a protobuf Struct holds: String, Double, Boolean, List, Map (nulls dropped). */
    private static Object plain(JsonElement e) {
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isBoolean()) {
                return p.getAsBoolean();
            }
            if (p.isNumber()) {
                return p.getAsDouble();
            }
            return p.getAsString();
        }
        if (e.isJsonArray()) {
            List<Object> l = new ArrayList<>();
            e.getAsJsonArray().forEach(x -> {
                if (!x.isJsonNull()) {
                    l.add(plain(x));
                }
            });
            return List.copyOf(l);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        e.getAsJsonObject().entrySet().forEach(en -> {
            if (!en.getValue().isJsonNull()) {
                m.put(en.getKey(), plain(en.getValue()));
            }
        });
        return java.util.Collections.unmodifiableMap(m);
    }

    private static boolean isString(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    private static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonArray()) {
            return "a list";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return "boolean " + p.getAsBoolean();
        }
        if (p.isNumber()) {
            return "number " + p.getAsString();
        }
        return "string \"" + p.getAsString() + "\"";
    }
}
