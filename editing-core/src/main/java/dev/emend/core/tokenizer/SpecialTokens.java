package dev.emend.core.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The special-token policy of one checkpoint, decided once at load from its files, as Hugging
 * Face {@code AutoTokenizer} + {@code generate} would: whether a begin-of-text token goes before
 * every text the model reads, and which ids end generation. Every place that turns text into
 * model input goes through {@link #frame}; every stop check through {@link #isEos}.
 *
 * <p>BOS, first rule that applies (the reason names it):
 * <ol>
 *   <li>{@code tokenizer_config.json} {@code add_bos_token} (true/false), with its {@code bos_token}
 *       (else config.json {@code bos_token_id});</li>
 *   <li>{@code tokenizer_config.json} names a {@code tokenizer_class} whose transformers class
 *       rebuilds the post-processor with {@code add_bos_token} defaulting to true
 *       ({@code LlamaTokenizer[Fast]}, {@code CodeLlamaTokenizer[Fast]}, {@code GemmaTokenizer[Fast]});</li>
 *   <li>{@code tokenizer_config.json} names any other {@code tokenizer_class}: the
 *       {@code tokenizer.json} post-processor decides ({@code TemplateProcessing}, alone or inside a
 *       {@code Sequence}: the special tokens before {@code $A} in {@code single}; any other
 *       post-processor, e.g. {@code ByteLevel}, or none adds nothing — so the early Llama-3
 *       {@code tokenizer.json} without the BOS template adds none, as in Hugging Face);</li>
 *   <li>no tokenizer class named: transformers picks the family's tokenizer class, so the family's
 *       default ({@code ModelFamily.addsBosByDefault()}, passed in) when it adds one, else the
 *       post-processor as in 3.</li>
 * </ol>
 *
 * <p>EOS: every id in config.json {@code eos_token_id} (number or list), generation_config.json
 * {@code eos_token_id} (number or list) and the tokenizer's eos token (tokenizer_config.json
 * {@code eos_token}); when none of the three names one, the tokenizer's known end-of-text spelling
 * ({@link TextTokenizer#eosId()}). The first is the primary one (appended to training documents).
 *
 * <p>{@code add_eos_token} (an EOS after every text in Hugging Face) is reported by
 * {@link #addsEos()} and applied by {@link #frameFull} ({@code ./emend tokenize}), but not by
 * {@link #frame}: Emend's prompts are always continued (generation, a scored target), and an EOS
 * before the continuation would end the text.
 */
public record SpecialTokens(int[] prefix, String bosReason, boolean addsEos, List<Integer> eosIds,
                            String eosReason) {

    /** tokenizer_class values whose transformers class defaults add_bos_token to true. */
    private static final Set<String> BOS_BY_DEFAULT_CLASSES = Set.of("LlamaTokenizer", "LlamaTokenizerFast",
            "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast");

    public SpecialTokens {
        prefix = prefix.clone();
        eosIds = List.copyOf(eosIds);
    }

    /**
     * Decides the policy from the files of {@code dir} (tokenizer_config.json, tokenizer.json,
     * config.json, generation_config.json; each optional except the tokenizer already loaded).
     *
     * @param familyAddsBos the family's default when no tokenizer class is named (Llama: true)
     * @throws IllegalArgumentException naming the file when a side file is corrupt or names a
     *     token the tokenizer lacks
     */
    public static SpecialTokens resolve(Path dir, TextTokenizer tokenizer, boolean familyAddsBos, String familyName) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        JsonObject tokConfig = readOptional(dir, "tokenizer_config.json");
        JsonObject config = readOptional(dir, "config.json");
        JsonObject genConfig = readOptional(dir, "generation_config.json");
        Template template = Template.of(tokenizer.postProcessor(), tokenizer);
        int[] prefix;
        String reason;
        boolean addsEos = template.suffix.length > 0;
        if (tokConfig != null && present(tokConfig, "add_eos_token")) {
            addsEos = tokConfig.get("add_eos_token").getAsBoolean();
        }
        String tokClass = tokConfig != null && present(tokConfig, "tokenizer_class")
                ? tokConfig.get("tokenizer_class").getAsString() : null;
        if (tokConfig != null && present(tokConfig, "add_bos_token")) {
            boolean add = tokConfig.get("add_bos_token").getAsBoolean();
            prefix = add ? new int[] {bosId(tokConfig, config, template, tokenizer, dir)} : new int[0];
            reason = "tokenizer_config.json add_bos_token=" + add;
        } else if (tokClass != null && BOS_BY_DEFAULT_CLASSES.contains(tokClass)) {
            prefix = new int[] {bosId(tokConfig, config, template, tokenizer, dir)};
            reason = "tokenizer_config.json tokenizer_class " + tokClass + " (add_bos_token defaults to true)";
        } else if (tokClass == null && familyAddsBos) {
            prefix = new int[] {bosId(tokConfig, config, template, tokenizer, dir)};
            reason = "no tokenizer class named: the " + familyName + " family's tokenizer adds BOS by default";
        } else {
            prefix = template.prefix;
            reason = "tokenizer.json post_processor " + template.description;
        }
        Eos eos = eos(tokConfig, config, genConfig, tokenizer, dir);
        return new SpecialTokens(prefix, reason, addsEos, eos.ids, eos.reason);
    }

    /** True when a BOS (or other prefix token) goes before every text. */
    public boolean addsBos() {
        return prefix.length > 0;
    }

    /** The tokens put before every text (empty or the one BOS id). */
    @Override
    public int[] prefix() {
        return prefix.clone();
    }

    /** The model-input ids of a text already encoded without special tokens: {@code prefix + ids}. */
    public int[] frame(int[] textIds) {
        if (prefix.length == 0) {
            return textIds;
        }
        int[] out = new int[prefix.length + textIds.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(textIds, 0, out, prefix.length, textIds.length);
        return out;
    }

    /** Exactly what Hugging Face's {@code tokenizer(text)} returns: {@link #frame}, plus EOS when {@link #addsEos()}. */
    public int[] frameFull(int[] textIds) {
        int[] framed = frame(textIds);
        if (!addsEos || eosIds.isEmpty()) {
            return framed;
        }
        int[] out = java.util.Arrays.copyOf(framed, framed.length + 1);
        out[framed.length] = eosIds.get(0);
        return out;
    }

    /** True when generating {@code id} ends the text. */
    public boolean isEos(int id) {
        return eosIds.contains(id);
    }

    /** The primary end-of-text id, or -1 when the checkpoint names none. */
    public int primaryEos() {
        return eosIds.isEmpty() ? -1 : eosIds.get(0);
    }

    /** Human-readable lines: BOS (id, text, why) and EOS (ids, texts, where from). */
    public List<String> describe(TextTokenizer tokenizer) {
        List<String> out = new ArrayList<>();
        out.add("bos: " + (addsBos() ? "added, " + named(prefix, tokenizer) : "not added") + " (" + bosReason + ")");
        List<Integer> eos = eosIds;
        out.add("eos: " + (eos.isEmpty() ? "none" : named(eos.stream().mapToInt(Integer::intValue).toArray(), tokenizer))
                + " (" + eosReason + ")" + (addsEos ? "; tokenizer appends EOS to every text (not to prompts)" : ""));
        return out;
    }

    private static String named(int[] ids, TextTokenizer tokenizer) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(id).append(' ');
            sb.append(tokenizer.hasToken(id) ? tokenizer.token(id) : "(no token)");
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ resolution

    private static boolean present(JsonObject o, String name) {
        return o.has(name) && !o.get(name).isJsonNull();
    }

    private static JsonObject readOptional(Path dir, String name) {
        if (dir == null) {
            return null;
        }
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file));
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(file + ": not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (IOException | JsonParseException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /** A token named in tokenizer_config.json: a string or an AddedToken object with "content". */
    private static String tokenText(JsonObject tokConfig, String field) {
        if (tokConfig == null || !present(tokConfig, field)) {
            return null;
        }
        JsonElement e = tokConfig.get(field);
        if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
            return e.getAsJsonObject().get("content").getAsString();
        }
        return e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static int idOf(TextTokenizer tokenizer, String text, Path dir, String where) {
        OptionalInt id = tokenizer.id(text);
        if (id.isEmpty()) {
            throw new IllegalArgumentException(dir.resolve(where) + " names token '" + text + "' but "
                    + tokenizer.file() + " has no such token; fix the file or use the checkpoint's own tokenizer");
        }
        return id.getAsInt();
    }

    private static int bosId(JsonObject tokConfig, JsonObject config, Template template, TextTokenizer tokenizer,
                             Path dir) {
        String text = tokenText(tokConfig, "bos_token");
        if (text != null) {
            return idOf(tokenizer, text, dir, "tokenizer_config.json");
        }
        if (config != null && present(config, "bos_token_id")) {
            return ids(config.get("bos_token_id")).get(0);
        }
        if (template.prefix.length == 1) {
            return template.prefix[0];
        }
        throw new IllegalArgumentException(dir + ": the checkpoint asks for a BOS token but names none "
                + "(no bos_token in tokenizer_config.json, no bos_token_id in config.json, no template in tokenizer.json)");
    }

    private record Eos(List<Integer> ids, String reason) {}

    private static Eos eos(JsonObject tokConfig, JsonObject config, JsonObject genConfig, TextTokenizer tokenizer,
                           Path dir) {
        Set<Integer> ids = new LinkedHashSet<>();
        List<String> from = new ArrayList<>();
        if (config != null && present(config, "eos_token_id")) {
            ids.addAll(ids(config.get("eos_token_id")));
            from.add("config.json eos_token_id");
        }
        if (genConfig != null && present(genConfig, "eos_token_id")) {
            ids.addAll(ids(genConfig.get("eos_token_id")));
            from.add("generation_config.json eos_token_id");
        }
        String text = tokenText(tokConfig, "eos_token");
        if (text != null) {
            ids.add(idOf(tokenizer, text, dir, "tokenizer_config.json"));
            from.add("tokenizer_config.json eos_token");
        }
        if (ids.isEmpty()) {
            try {
                ids.add(tokenizer.eosId());
                from.add("the tokenizer's end-of-text token " + tokenizer.token(tokenizer.eosId()));
            } catch (IllegalStateException e) {
                from.add("no file names an end-of-text token: generation stops only at its length limit");
            }
        }
        return new Eos(List.copyOf(ids), String.join(", ", from));
    }

    private static List<Integer> ids(JsonElement e) {
        List<Integer> out = new ArrayList<>();
        if (e.isJsonArray()) {
            for (JsonElement x : e.getAsJsonArray()) {
                out.add(x.getAsInt());
            }
        } else {
            out.add(e.getAsInt());
        }
        return out;
    }

    /** The special tokens a tokenizer.json post-processor puts around a single text. */
    private record Template(int[] prefix, int[] suffix, String description) {
        static Template of(JsonObject pp, TextTokenizer tokenizer) {
            if (pp == null) {
                return new Template(new int[0], new int[0], "none (adds nothing)");
            }
            JsonObject tp = findTemplate(pp);
            String type = pp.has("type") ? pp.get("type").getAsString() : "?";
            if (tp == null) {
                return new Template(new int[0], new int[0], type + " (adds nothing)");
            }
            List<Integer> before = new ArrayList<>();
            List<Integer> after = new ArrayList<>();
            boolean seenText = false;
            StringBuilder shape = new StringBuilder();
            for (JsonElement item : tp.getAsJsonArray("single")) {
                JsonObject o = item.getAsJsonObject();
                if (o.has("Sequence")) {
                    seenText = true;
                    shape.append(shape.length() > 0 ? " " : "").append("$A");
                } else if (o.has("SpecialToken")) {
                    String name = o.getAsJsonObject("SpecialToken").get("id").getAsString();
                    shape.append(shape.length() > 0 ? " " : "").append(name);
                    for (int id : templateIds(tp, name, tokenizer)) {
                        (seenText ? after : before).add(id);
                    }
                }
            }
            return new Template(before.stream().mapToInt(Integer::intValue).toArray(),
                    after.stream().mapToInt(Integer::intValue).toArray(), "TemplateProcessing '" + shape + "'");
        }

        private static JsonObject findTemplate(JsonObject pp) {
            String type = pp.has("type") ? pp.get("type").getAsString() : "";
            if (type.equals("TemplateProcessing")) {
                return pp;
            }
            if (type.equals("Sequence") && pp.has("processors")) {
                for (JsonElement p : pp.getAsJsonArray("processors")) {
                    JsonObject found = findTemplate(p.getAsJsonObject());
                    if (found != null) {
                        return found;
                    }
                }
            }
            return null;
        }

        private static List<Integer> templateIds(JsonObject tp, String name, TextTokenizer tokenizer) {
            JsonObject specials = tp.getAsJsonObject("special_tokens");
            List<Integer> out = new ArrayList<>();
            if (specials != null && specials.has(name)) {
                JsonArray ids = specials.getAsJsonObject(name).getAsJsonArray("ids");
                for (JsonElement id : ids) {
                    out.add(id.getAsInt());
                }
                return out;
            }
            OptionalInt id = tokenizer.id(name);
            if (id.isEmpty()) {
                throw new IllegalArgumentException(tokenizer.file() + ": post_processor template names '" + name
                        + "' but the vocabulary has no such token");
            }
            out.add(id.getAsInt());
            return out;
        }
    }
}
