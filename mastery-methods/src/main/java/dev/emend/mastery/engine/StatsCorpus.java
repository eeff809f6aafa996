package dev.emend.mastery.engine;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The text ROME/MEMIT/AlphaEdit estimate the second moment C = E[k kᵀ] from. For a real
 * checkpoint: a local text file, one document per line ({@code emend.mastery.corpus}). For the
 * default model: its own training sentences, rebuilt from the {@code facts.json} shipped beside
 * the checkpoint (every relation template filled with every fact: 12,738 sentences), shuffled
 * with a fixed seed so any prefix ({@code mom2_n_samples}) mixes relations.
 */
public final class StatsCorpus {
    private StatsCorpus() {
    }

    /**
     * The corpus, read at its first use and kept: only the methods that estimate C (MEMIT,
     * AlphaEdit, ROME/R-ROME with {@code mom2_adjustment}) need it, so a real checkpoint without
     * {@code emend.mastery.corpus} still serves FT-L, FT-M and EasyEdit's ROME defaults, and the
     * missing corpus is the error of the edit that needs it rather than a service that cannot start.
     */
    public static Supplier<List<String>> lazy(Path modelDir, Optional<Path> file) {
        return new Supplier<>() {
            private volatile List<String> lines;

            @Override
            public synchronized List<String> get() {
                if (lines == null) {
                    lines = load(modelDir, file);
                }
                return lines;
            }
        };
    }

    public static List<String> load(Path modelDir, Optional<Path> file) {
        try {
            if (file.isPresent()) {
                List<String> lines = Files.readAllLines(file.get(), StandardCharsets.UTF_8).stream()
                        .filter(s -> !s.isBlank()).toList();
                if (lines.isEmpty()) {
                    throw new IllegalStateException(file.get() + " holds no text: give a corpus file with one document per line");
                }
                return lines;
            }
            Path facts = modelDir.resolve("facts.json");
            if (!Files.isRegularFile(facts)) {
                throw new IllegalStateException("no corpus for the second-moment statistics: set emend.mastery.corpus to a "
                        + "text file (one document per line; the references use Wikipedia text; env EMEND_MASTERY_CORPUS) for " + modelDir
                        + " (MEMIT, AlphaEdit and ROME/R-ROME with mom2_adjustment estimate C from it; FT-L, FT-M and ROME"
                        + " without mom2_adjustment need none)");
            }
            return fromFacts(JsonParser.parseString(Files.readString(facts)).getAsJsonObject());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> fromFacts(JsonObject world) {
        Map<String, List<String>> templates = new HashMap<>();
        for (JsonElement r : world.getAsJsonArray("relations")) {
            JsonObject rel = r.getAsJsonObject();
            List<String> ts = new ArrayList<>();
            rel.getAsJsonArray("templates").forEach(t -> ts.add(t.getAsString()));
            templates.put(rel.get("id").getAsString(), ts);
        }
        List<String> out = new ArrayList<>();
        for (JsonElement f : world.getAsJsonArray("facts")) {
            JsonObject fact = f.getAsJsonObject();
            for (String t : templates.getOrDefault(fact.get("relation").getAsString(), List.of())) {
                out.add(t.replace("{}", fact.get("subject").getAsString()) + " " + fact.get("object").getAsString() + ".");
            }
        }
        Collections.shuffle(out, new Random(0));
        return List.copyOf(out);
    }
}
