package dev.emend.factworld.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.factworld.world.FactWorld;
import dev.emend.factworld.train.FactModelBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskBenchmarkGeneratorTest {
    static FactWorld world;

    @BeforeAll
    static void build() {
        world = FactWorld.build(1, FactModelBuilder.GENERATION_2_DEFAULT, 2);
    }

    @Test
    void sameSeedSameBytesAndTheCommittedFilesAreCurrent(@TempDir Path a, @TempDir Path b) throws IOException {
        Map<String, Integer> counts = new TaskBenchmarkGenerator(world, 1).writeAll(a);
        new TaskBenchmarkGenerator(FactWorld.build(1, FactModelBuilder.GENERATION_2_DEFAULT, 2), 1).writeAll(b);
        assertEquals(Map.of("erasure.json", 60, "erasure-train.json", 30, "sentiment.json", 30, "sentiment-train.json", 20,
                "longform.json", 60, "longform-train.json", 30), counts);
        Path committed = repoRoot().resolve("benchmarks/emend-facts-2");
        for (String f : counts.keySet()) {
            assertEquals(Files.readString(a.resolve(f)), Files.readString(b.resolve(f)), f);
            assertEquals(Files.readString(a.resolve(f)), Files.readString(committed.resolve(f)),
                    f + " differs from the committed file: run ./emend benchmarks --generation 2");
        }
    }

    @Test
    void firstGenerationWorldIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TaskBenchmarkGenerator(FactWorld.build(1), 1));
        assertTrue(e.getMessage().contains("generation-2 world"), e.getMessage());
    }

    @Test
    void erasureForgetsNothingItRetainsAndTrainPeopleAreNotTestPeople() {
        var gen = new TaskBenchmarkGenerator(world, 1);
        JsonObject test = gen.erasure(false);
        JsonObject train = gen.erasure(true);
        Set<String> forgotten = pairs(test.getAsJsonArray("success"));
        forgotten.addAll(pairs(train.getAsJsonArray("K_F")));
        for (JsonArray retain : new JsonArray[]{test.getAsJsonArray("locality"), train.getAsJsonArray("K_R")}) {
            for (String p : pairs(retain)) {
                assertTrue(!forgotten.contains(p), p + " is both forgotten and retained");
            }
        }
        Set<String> testPeople = subjects(test.getAsJsonArray("success"));
        subjects(train.getAsJsonArray("K_F")).forEach(p -> assertTrue(!testPeople.contains(p), p));
        for (JsonElement e : test.getAsJsonArray("success")) {
            JsonObject o = e.getAsJsonObject();
            assertEquals(TaskBenchmarkGenerator.REFUSAL, o.get("target_new").getAsString());
            assertTrue(o.get("question").getAsString().contains(o.get("subject").getAsString()));
        }
    }

    @Test
    void longformCorrectsOneSentenceOfTheBiography() {
        for (JsonElement e : new TaskBenchmarkGenerator(world, 1).longform(false)) {
            JsonObject o = e.getAsJsonObject();
            String person = o.get("concept").getAsString();
            String old = o.get("ground_truth").getAsString();
            String fixed = o.get("labels").getAsString();
            assertNotEquals(old, fixed);
            assertTrue(world.biographies().get(person).contains(old), old);
            // same template: the sentences agree up to the object
            String stem = old.substring(0, old.lastIndexOf(world.objectOf(person, relationOf(person, old))));
            assertTrue(fixed.startsWith(stem), fixed + " / " + stem);
            assertTrue(o.get("text").getAsString().startsWith("This is a biography of " + person + "."));
            int n = world.biographies().get(person).size();
            assertEquals(n - 1, o.getAsJsonObject("locality").getAsJsonArray("Rest_Of_Biography").size());
            assertEquals(2, o.getAsJsonObject("locality").getAsJsonArray("Other_Biographies").size());
        }
    }

    private static String relationOf(String person, String sentence) {
        for (String r : world.relationsOf(person)) {
            if (sentence.endsWith(" " + world.objectOf(person, r) + ".")) {
                return r;
            }
        }
        throw new AssertionError("no relation for " + sentence);
    }

    /** "subject|question-relation" keys: subject and ground truth identify the attribute. */
    private static Set<String> pairs(JsonArray items) {
        Set<String> out = new HashSet<>();
        items.forEach(e -> out.add(e.getAsJsonObject().get("subject").getAsString() + "|"
                + e.getAsJsonObject().get("ground_truth").getAsString()));
        return out;
    }

    private static Set<String> subjects(JsonArray items) {
        Set<String> out = new HashSet<>();
        items.forEach(e -> out.add(e.getAsJsonObject().get("subject").getAsString()));
        return out;
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("benchmarks/emend-facts"))) {
            p = p.getParent();
        }
        assertTrue(p != null, "repository root not found");
        return p;
    }
}
