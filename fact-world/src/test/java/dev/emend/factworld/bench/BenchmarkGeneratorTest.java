package dev.emend.factworld.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.factworld.world.FactWorld;
import dev.emend.factworld.world.Relation;
import dev.emend.factworld.world.Relations;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchmarkGeneratorTest {

    private static FactWorld world;
    private static BenchmarkGenerator generator;

    @BeforeAll
    static void build() {
        world = FactWorld.build(1);
        generator = new BenchmarkGenerator(world, 1);
    }

    private static String s(JsonObject o, String field) {
        assertTrue(o.has(field), () -> "missing " + field + " in " + o);
        return o.get(field).getAsString();
    }

    private static Set<String> subjects(JsonArray cases) {
        var out = new HashSet<String>();
        cases.forEach(c -> out.add(s(c.getAsJsonObject(), "subject")));
        return out;
    }

    @Test
    void sameSeedWritesIdenticalFiles(@TempDir Path a, @TempDir Path b) throws Exception {
        var counts = generator.writeAll(a);
        new BenchmarkGenerator(FactWorld.build(1), 1).writeAll(b);
        for (String file : counts.keySet()) {
            assertEquals(Files.readString(a.resolve(file)), Files.readString(b.resolve(file)), file);
            String text = Files.readString(a.resolve(file));
            for (int i = 0; i < text.length(); i++) {
                assertTrue(text.charAt(i) < 0x7f, file + " has a non-ASCII character at " + i);
            }
        }
        assertTrue(counts.get("counterfact.json") >= 300);
        assertTrue(counts.get("zsre.json") >= 300);
        assertTrue(counts.get("recent.json") >= 300);
        assertTrue(counts.get("counterfact-train.json") >= 100);
        assertTrue(counts.get("zsre-train.json") >= 100);
        assertEquals(BenchmarkGenerator.SEQUENTIAL_CASES, counts.get("sequential.json"));
        assertNotEquals(generator.counterfact(50, false), new BenchmarkGenerator(world, 2).counterfact(50, false));
    }

    /** The relation whose trained statement or question template, filled with {@code subject}, is {@code prompt}. */
    private static String relationOf(String prompt, String subject) {
        for (Relation r : world.relations()) {
            for (String t : r.allTemplates()) {
                if (Relation.fill(t, subject).equals(prompt)) {
                    return r.id();
                }
            }
        }
        throw new AssertionError("no relation template gives " + prompt);
    }

    @Test
    void sequentialSetNeverEditsOneFactTwice() {
        JsonArray cases = generator.sequential(BenchmarkGenerator.SEQUENTIAL_CASES);
        assertEquals(BenchmarkGenerator.SEQUENTIAL_CASES, cases.size());
        var facts = new HashSet<String>();
        var train = new HashSet<>(generator.trainSubjects());
        for (var c : cases) {
            JsonObject o = c.getAsJsonObject();
            String subject = s(o, "subject");
            assertFalse(train.contains(subject), subject + " is a training subject");
            String relation = relationOf(s(o, "prompt"), subject);
            assertTrue(facts.add(subject + " / " + relation), "edited twice: " + subject + " / " + relation);
        }
        var editedPrompts = new HashSet<String>();
        for (var d : cases) {
            JsonObject o = d.getAsJsonObject();
            String subject = s(o, "subject");
            for (String t : world.relation(relationOf(s(o, "prompt"), subject)).allTemplates()) {
                editedPrompts.add(Relation.fill(t, subject));
            }
        }
        int localityPrompts = 0;
        for (var c : cases) {
            for (var item : c.getAsJsonObject().getAsJsonObject("locality").getAsJsonArray("Relation_Specificity")) {
                String prompt = s(item.getAsJsonObject(), "prompt");
                assertFalse(editedPrompts.contains(prompt), "locality prompt about a fact the set edits: " + prompt);
                localityPrompts++;
            }
        }
        assertTrue(localityPrompts >= 2 * cases.size(), "locality prompts: " + localityPrompts);
        // and the concatenated test splits do edit facts twice, which is why the set exists
        var both = new HashSet<String>();
        int twice = 0;
        for (JsonArray split : List.of(generator.counterfact(300, false), generator.zsre(300, false))) {
            for (var c : split) {
                JsonObject o = c.getAsJsonObject();
                String subject = s(o, "subject");
                if (!both.add(subject + " / " + relationOf(s(o, "prompt"), subject))) {
                    twice++;
                }
            }
        }
        assertTrue(twice > 0, "counterfact and zsre share no fact any more; update the sequential set's javadoc");
    }

    @Test
    void counterfactCasesAreWellFormed() {
        JsonArray cases = generator.counterfact(BenchmarkGenerator.TEST_CASES, false);
        assertEquals(300, cases.size());
        int aliasing = 0;
        int reasoning = 0;
        for (JsonElement e : cases) {
            JsonObject c = e.getAsJsonObject();
            String subject = s(c, "subject");
            assertTrue(s(c, "prompt").contains(subject));
            assertNotEquals(s(c, "target_new"), s(c, "ground_truth"));
            assertNotEquals(s(c, "prompt"), s(c, "rephrase_prompt"));
            assertTrue(s(c, "rephrase_prompt").contains(subject));
            JsonObject portability = c.getAsJsonObject("portability");
            for (String key : portability.keySet()) {
                assertTrue(Set.of("Subject_Aliasing", "Reasoning", "Logical_Generalization").contains(key), key);
                for (JsonElement item : portability.getAsJsonArray(key)) {
                    s(item.getAsJsonObject(), "prompt");
                    s(item.getAsJsonObject(), "ground_truth");
                }
            }
            if (portability.has("Subject_Aliasing")) {
                aliasing++;
                for (JsonElement item : portability.getAsJsonArray("Subject_Aliasing")) {
                    assertEquals(s(c, "target_new"), s(item.getAsJsonObject(), "ground_truth"));
                }
            }
            if (portability.has("Reasoning")) {
                reasoning++;
            }
            JsonArray locality = c.getAsJsonObject("locality").getAsJsonArray("Relation_Specificity");
            assertFalse(locality.isEmpty());
            for (JsonElement item : locality) {
                s(item.getAsJsonObject(), "ground_truth");
            }
        }
        assertTrue(aliasing >= 10, "aliasing cases " + aliasing);
        assertTrue(reasoning >= 60, "reasoning cases " + reasoning);
    }

    @Test
    void reasoningFollowsTheNewBirthCity() {
        for (JsonElement e : generator.counterfact(300, false)) {
            JsonObject c = e.getAsJsonObject();
            String subject = s(c, "subject");
            if (world.objectOf(subject, Relations.BIRTH_CITY) != null && c.getAsJsonObject("portability").has("Reasoning")
                    && world.relation(Relations.BIRTH_CITY).templates().stream()
                    .anyMatch(t -> s(c, "prompt").equals(t.replace("{}", subject)))) {
                String first = s(c.getAsJsonObject("portability").getAsJsonArray("Reasoning").get(0).getAsJsonObject(),
                        "ground_truth");
                assertEquals(world.objectOf(s(c, "target_new"), Relations.CITY_COUNTRY), first);
            }
        }
    }

    @Test
    void zsreCasesAreWellFormed() {
        JsonArray cases = generator.zsre(300, false);
        assertEquals(300, cases.size());
        for (JsonElement e : cases) {
            JsonObject c = e.getAsJsonObject();
            assertTrue(s(c, "prompt").endsWith("?"));
            assertNotEquals(s(c, "prompt"), s(c, "rephrase_prompt"));
            String truth = c.getAsJsonArray("ground_truth").get(0).getAsString();
            assertNotEquals(truth, s(c, "target_new"));
            assertEquals(truth + " >> " + s(c, "target_new") + " || " + s(c, "prompt"), s(c, "cond"));
            for (JsonElement item : c.getAsJsonObject("locality").getAsJsonArray("Relation_Specificity")) {
                assertTrue(item.getAsJsonObject().get("ground_truth").isJsonArray());
            }
        }
    }

    @Test
    void recentCasesAreAboutUnseenPeople() {
        JsonArray cases = generator.recent(300, false);
        assertEquals(300, cases.size());
        Set<String> names = subjects(cases);
        assertEquals(300, names.size());
        for (JsonElement e : cases) {
            JsonObject c = e.getAsJsonObject();
            assertFalse(world.subjects().contains(s(c, "subject")), s(c, "subject"));
            assertNull(c.get("ground_truth"));
            assertNotEquals(s(c, "prompt"), s(c, "rephrase_prompt"));
            assertFalse(c.getAsJsonObject("locality").getAsJsonArray("Relation_Specificity").isEmpty());
        }
        names.retainAll(subjects(generator.recent(120, true)));
        assertTrue(names.isEmpty(), "train and test share " + names);
    }

    @Test
    void trainSplitsUseOtherSubjects() {
        for (boolean cf : new boolean[] {true, false}) {
            Set<String> test = subjects(cf ? generator.counterfact(300, false) : generator.zsre(300, false));
            Set<String> train = subjects(cf ? generator.counterfact(120, true) : generator.zsre(120, true));
            assertTrue(train.size() >= 100);
            test.retainAll(train);
            assertTrue(test.isEmpty(), "shared subjects " + test);
        }
    }

    /**
     * Generation 2 (issue 19): every rephrase and alias-portability prompt is worded with a held-out
     * template (never one the model trained on), recent-fact people have three-part names, and the
     * committed benchmarks/emend-facts-2 files are what the generator writes.
     */
    @Test
    void generationTwoRephrasesUseHeldOutWordingOnly(@TempDir Path a) throws Exception {
        FactWorld w2 = FactWorld.build(1, dev.emend.factworld.train.FactModelBuilder.GENERATION_2_DEFAULT, 2);
        var gen = new BenchmarkGenerator(w2, 1);
        Set<String> trained = new HashSet<>();
        Set<String> heldOut = new HashSet<>();
        for (var r : w2.relations()) {
            trained.addAll(r.templates());
            trained.addAll(r.questionTemplates());
            heldOut.addAll(r.heldOutTemplates());
            heldOut.addAll(r.heldOutQuestionTemplates());
        }
        int checked = 0;
        for (JsonArray cases : new JsonArray[] {gen.counterfact(300, false), gen.zsre(300, false), gen.recent(300, false)}) {
            for (JsonElement e : cases) {
                JsonObject c = e.getAsJsonObject();
                String subject = s(c, "subject");
                String rephrase = s(c, "rephrase_prompt");
                assertTrue(heldOut.contains(rephrase.replace(subject, "{}")), "not held-out wording: " + rephrase);
                assertFalse(trained.contains(rephrase.replace(subject, "{}")), rephrase);
                checked++;
            }
        }
        assertEquals(900, checked);
        int aliasItems = 0;
        for (JsonElement e : gen.counterfact(300, false)) {
            JsonObject p = e.getAsJsonObject().getAsJsonObject("portability");
            if (p.has("Subject_Aliasing")) {
                for (JsonElement item : p.getAsJsonArray("Subject_Aliasing")) {
                    String prompt = s(item.getAsJsonObject(), "prompt");
                    assertTrue(heldOut.stream().anyMatch(t -> prompt.startsWith(t.substring(0, t.indexOf("{}")))
                            && prompt.endsWith(t.substring(t.indexOf("{}") + 2))), "alias prompt not held-out: " + prompt);
                    aliasItems++;
                }
            }
        }
        assertTrue(aliasItems > 10, "alias items: " + aliasItems);
        for (JsonElement e : gen.recent(50, false)) {
            String subject = s(e.getAsJsonObject(), "subject");
            assertEquals(3, subject.split(" ").length, subject);
            assertFalse(w2.subjects().contains(subject), subject);
        }
        var counts = gen.writeAll(a);
        Path committed = TaskBenchmarkGeneratorTest.repoRoot().resolve("benchmarks/emend-facts-2");
        for (String f : counts.keySet()) {
            assertEquals(Files.readString(a.resolve(f)), Files.readString(committed.resolve(f)),
                    f + " differs from the committed file: run ./emend benchmarks --generation 2");
        }
    }
}
