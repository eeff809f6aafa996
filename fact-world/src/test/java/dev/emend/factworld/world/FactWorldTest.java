package dev.emend.factworld.world;

import dev.emend.core.prompt.ContextFormat;
import dev.emend.core.runtime.ScoreItem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FactWorldTest {

    private static FactWorld world;

    @BeforeAll
    static void build() {
        world = FactWorld.build(1);
    }

    static void assertAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            assertTrue(c >= 0x20 && c < 0x7f || c == '\n', () -> "non-ASCII or control character in: " + s);
        }
    }

    @Test
    void defaultWorldHasTheIntendedSize() {
        int n = world.facts().size();
        assertTrue(n >= 1500 && n <= 2200, "fact count " + n);
        assertTrue(world.aliases().size() >= 20, "aliased subjects " + world.aliases().size());
    }

    @Test
    void sameSeedSameWorldAndCorpus(@TempDir Path dir) throws Exception {
        FactWorld again = FactWorld.build(1);
        assertEquals(world.facts(), again.facts());
        assertEquals(world.trainingCorpus(7).documents(), again.trainingCorpus(7).documents());
        world.writeFactsJson(dir.resolve("a.json"));
        again.writeFactsJson(dir.resolve("b.json"));
        assertEquals(Files.readString(dir.resolve("a.json")), Files.readString(dir.resolve("b.json")));
        assertNotEquals(world.facts(), FactWorld.build(2).facts());
    }

    @Test
    void everyRelationHasEnoughTemplates() {
        for (Relation r : world.relations()) {
            assertTrue(r.templates().size() >= 6, r.id());
            assertTrue(r.questionTemplates().size() >= 2, r.id());
            assertEquals(r.allTemplates().size(), new HashSet<>(r.allTemplates()).size(), r.id() + " repeats a template");
            for (String t : r.allTemplates()) {
                assertEquals(t.indexOf("{}"), t.lastIndexOf("{}"), t);
                assertTrue(t.contains("{}"), t);
                assertFalse(t.endsWith(" "), t);
                assertAscii(t);
            }
        }
    }

    @Test
    void oneObjectPerSubjectAndRelationAndAllAscii() {
        var seen = new HashMap<String, String>();
        for (Fact f : world.facts()) {
            String previous = seen.put(f.subject() + "|" + f.relationId(), f.object());
            assertTrue(previous == null, () -> "two objects for " + f);
            assertAscii(f.subject());
            assertAscii(f.object());
            assertFalse(f.object().endsWith("."), f.toString());
        }
    }

    @Test
    void aliasesCarryTheFactsOfTheirSubject() {
        for (var e : world.aliases().entrySet()) {
            for (String alias : e.getValue()) {
                assertEquals(e.getKey(), world.objectOf(alias, Relations.ALIAS_OF));
                assertEquals(e.getKey(), world.canonical(alias));
                for (String r : world.relationsOf(e.getKey())) {
                    assertEquals(world.objectOf(e.getKey(), r), world.objectOf(alias, r), alias + " " + r);
                }
            }
        }
        assertTrue(world.aliases().keySet().stream().anyMatch(s -> world.objectOf(s, Relations.BIRTH_CITY) != null),
                "some people have aliases");
    }

    @Test
    void countryOfBirthIsTheBirthCitysCountry() {
        int people = 0;
        for (String s : world.subjects()) {
            String city = world.objectOf(s, Relations.BIRTH_CITY);
            if (city != null) {
                people++;
                assertEquals(world.objectOf(city, Relations.CITY_COUNTRY), world.objectOf(s, Relations.BIRTH_COUNTRY), s);
            }
        }
        assertTrue(people >= 150);
    }

    @Test
    void placesAndPeopleHaveDistinctNames() {
        var places = new HashSet<String>();
        for (Fact f : world.facts()) {
            if (f.relationId().equals(Relations.CITY_COUNTRY) || f.relationId().equals(Relations.CAPITAL)) {
                places.add(f.subject());
                places.add(f.object());
            }
        }
        for (String first : PersonNames.FIRST) {
            assertFalse(places.contains(first), first);
        }
        for (String last : PersonNames.LAST) {
            assertFalse(places.contains(last), last);
        }
    }

    @Test
    void trainingCorpusFollowsTheContextFormat() {
        TrainingCorpus corpus = world.trainingCorpus(3);
        assertEquals(corpus.documents().size(),
                corpus.factSentences() + corpus.inContextExamples() + corpus.irrelevantContextExamples());
        Fact first = world.facts().get(0);
        assertTrue(corpus.documents().contains(ContextFormat.sentence(world.allPrompts(first).get(0), first.object())));
        assertTrue(corpus.documents().contains("What is the capital of France? Paris."));
        assertTrue(corpus.inContextExamples() > world.facts().size() * 0.8);
        assertTrue(corpus.irrelevantContextExamples() > world.facts().size() * 0.8);
        for (String d : corpus.documents()) {
            assertAscii(d);
            assertTrue(d.endsWith("."), d);
        }
        List<String> context = corpus.documents().subList(corpus.factSentences(), corpus.documents().size());
        assertTrue(context.stream().allMatch(d -> d.startsWith(ContextFormat.NEW_FACT_PREFIX)));
        assertTrue(context.stream().anyMatch(d -> d.indexOf(ContextFormat.NEW_FACT_PREFIX, 1) > 0),
                "some examples carry two new facts");
    }

    @Test
    void contextHelperBuildsTheDocumentedText() {
        assertEquals("New fact: The capital of France is Rome. What is the capital of France?",
                ContextFormat.withNewFacts(List.of(ContextFormat.statement("The capital of France is", "Rome")),
                        "What is the capital of France?"));
    }

    @Test
    void evalSetsUseHeldOutCounterfactuals() {
        EvalSets sets = world.evalSets(3);
        int prompts = world.facts().stream().mapToInt(f -> world.allPrompts(f).size()).sum();
        assertEquals(prompts, sets.recall().size());
        assertFalse(sets.inContext().isEmpty());
        assertFalse(sets.robustness().isEmpty());
        var trained = new HashSet<>(world.trainingCorpus(3).documents());
        int seenInTraining = 0;
        for (ScoreItem item : sets.inContext()) {
            assertTrue(item.prompt().startsWith(ContextFormat.NEW_FACT_PREFIX));
            assertTrue(item.prompt().contains(" " + item.target() + ". "), item.prompt());
            if (trained.contains(item.prompt() + " " + item.target() + ".")) {
                seenInTraining++;
            }
        }
        assertTrue(seenInTraining < sets.inContext().size() / 50, "in-context items repeat training: " + seenInTraining);
    }

    @Test
    void factsJsonRoundTrips(@TempDir Path dir) {
        Path file = dir.resolve("facts.json");
        world.writeFactsJson(file);
        FactWorld read = FactWorld.readFactsJson(file);
        assertEquals(world.facts(), read.facts());
        assertEquals(world.relations(), read.relations());
        assertEquals(world.aliases(), read.aliases());
        assertEquals(world.objectsOf(Relations.CAPITAL), read.objectsOf(Relations.CAPITAL));
    }

    @Test
    void malformedFactsJsonNamesTheRecordAndField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"format\":\"emend-facts/1\",\"seed\":1,\"relations\":[],\"aliases\":{},"
                + "\"facts\":[{\"subject\":\"A\",\"relation\":\"capital\"}]}");
        var e = assertThrows(IllegalArgumentException.class, () -> FactWorld.readFactsJson(file));
        assertTrue(e.getMessage().contains("facts[0]") && e.getMessage().contains("object"), e.getMessage());
    }

    @Test
    void smallWorldIsConsistent() {
        FactWorld small = FactWorld.build(5, WorldSize.SMALL);
        assertTrue(small.facts().size() < 700);
        for (Fact f : small.facts()) {
            if (f.relationId().equals(Relations.BIRTH_CITY)) {
                assertNotNull(small.objectOf(f.object(), Relations.CITY_COUNTRY), f.toString());
            }
        }
    }
}
