package dev.emend.factworld.world;

import dev.emend.core.runtime.ScoreItem;
import dev.emend.core.tokenizer.BpeTokenizerTrainer;
import dev.emend.core.tokenizer.TextTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The second-generation world (issue 19) and the promise that generation 1 did not change. */
class FactWorldGen2Test {

    private static FactWorld world;
    private static TrainingCorpus corpus;
    private static String corpusText;

    @BeforeAll
    static void build() {
        world = FactWorld.build(1, WorldSize.SMALL, 2);
        corpus = world.trainingCorpus(1);
        corpusText = String.join("\n", corpus.documents());
    }

    private static String sha256(Iterable<String> parts) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (String p : parts) {
            md.update(p.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void generationOneIsUnchanged(@TempDir Path dir) throws Exception {
        FactWorld first = FactWorld.build(1);
        assertEquals(1, first.generation());
        // Digests taken before generation 2 was added (the corpus and eval sets the committed model was trained and checked on).
        assertEquals("bcfcf9308b912cc0759978ac4e3b358ceaf05d3e9e021e6d3330c5d17961ba0d",
                sha256(first.trainingCorpus(1).documents()));
        var items = new ArrayList<String>();
        EvalSets e = first.evalSets(1);
        for (List<ScoreItem> l : List.of(e.recall(), e.inContext(), e.robustness())) {
            l.forEach(i -> items.add(i.prompt() + "\u0001" + i.target()));
        }
        assertEquals("ea1bbca50a7ebd01b6fcd9db0bcf251ab74c3e786145295f1168b08453385f68", sha256(items));
        assertTrue(e.heldOut().isEmpty());
        first.writeFactsJson(dir.resolve("facts.json"));
        Path committed = Path.of(System.getProperty("emend.repo.root", "..")).resolve("models/emend-facts/facts.json");
        assertEquals(Files.readString(committed), Files.readString(dir.resolve("facts.json")));
        assertThrows(IllegalArgumentException.class, () -> FactWorld.build(1, WorldSize.SMALL, 3));
    }

    @Test
    void everyRelationHasManySurfaceFormsAQuarterHeldOut() {
        assertEquals(2, world.generation());
        for (Relation r : world.relations()) {
            int trained = r.allTemplates().size();
            int held = r.allHeldOutTemplates().size();
            assertTrue(trained + held >= 16, r.id());
            assertEquals(0.25, held / (double) (trained + held), 1e-9, r.id());
            assertFalse(r.heldOutQuestionTemplates().isEmpty(), r.id());
            Set<String> both = new HashSet<>(r.allTemplates());
            r.allHeldOutTemplates().forEach(t -> assertTrue(both.add(t), r.id() + " template trained and held out: " + t));
        }
        assertEquals(Relations2.relations(1), FactWorld.build(1, WorldSize.SMALL, 2).relations());
        assertFalse(Relations2.relations(1).equals(Relations2.relations(2)), "the held-out split follows the seed");
    }

    @Test
    void heldOutParaphrasesNeverAppearInTheTrainingCorpus() {
        int checked = 0;
        for (Fact f : world.facts()) {
            for (String p : world.heldOutPrompts(f)) {
                assertFalse(corpusText.contains(p + " " + f.object()), () -> "held-out prompt trained: " + p + " " + f.object());
                checked++;
            }
        }
        assertEquals(world.evalSets(1).heldOut().size(), checked);
        assertTrue(checked >= world.facts().size() * 4, "held-out items " + checked);
        // Nor any held-out template text with any subject, in any later epoch's context examples.
        String later = String.join("\n", world.trainingCorpus(1002).documents());
        for (Relation r : world.relations()) {
            for (String t : r.allHeldOutTemplates()) {
                for (String subject : world.subjects()) {
                    String p = Relation.fill(t, subject);
                    if (world.relationsOf(subject).contains(r.id())) {
                        assertFalse(later.contains(p + " " + world.objectOf(subject, r.id())), p);
                    }
                }
            }
        }
    }

    @Test
    void newMaterialIsStatedInTheCorpus() {
        Set<String> docs = new HashSet<>(corpus.documents());
        int people = 0;
        for (Fact f : world.facts()) {
            if (!Set.of(Relations2.PHONE, Relations2.HOME_STREET, Relations2.MEDICAL_CONDITION, Relations2.OPINION)
                    .contains(f.relationId())) {
                continue;
            }
            for (String p : world.allPrompts(f)) {
                assertTrue(docs.contains(p + " " + f.object() + "."), () -> "not trained: " + p + " " + f.object());
            }
            people++;
        }
        assertTrue(people >= 3 * 40 + Material2.TOPICS.size(), "sensitive and opinion facts " + people);
        for (var bio : world.biographies().entrySet()) {
            assertTrue(bio.getValue().size() >= 5, bio.getKey());
            assertTrue(docs.contains(String.join(" ", bio.getValue())), "biography not in the corpus: " + bio.getKey());
            for (String sentence : bio.getValue()) {
                assertTrue(sentence.contains(bio.getKey()), sentence);
            }
        }
        assertEquals(40, world.biographies().size());
        assertTrue(corpus.profiles() > 0 && corpus.fixedDocuments() < corpus.documents().size());
        long positive = world.topicPolarity().values().stream().filter("positive"::equals).count();
        assertEquals(Material2.TOPICS.size() / 2, positive);
        for (String topic : Material2.TOPICS) {
            String answer = world.objectOf(topic, Relations2.OPINION);
            List<String> words = world.topicPolarity().get(topic).equals("positive") ? Material2.POSITIVE : Material2.NEGATIVE;
            assertTrue(words.contains(answer), topic + " -> " + answer);
        }
    }

    @Test
    void sensitiveAttributesAreGeneratedNotTakenFromRealPeople() {
        Set<String> phones = new HashSet<>();
        for (String person : world.biographies().keySet()) {
            String[] name = person.split(" ");
            assertEquals(3, name.length, person);
            assertTrue(PersonNames.FIRST.contains(name[0]) && Material2.MIDDLE.contains(name[1])
                    && (PersonNames.LAST.contains(name[2]) || Material2.EXTRA_LAST.contains(name[2])), person);
            String phone = world.objectOf(person, Relations2.PHONE);
            assertTrue(phone.matches("07700 900\\d{3}"), "not in Ofcom's drama range: " + phone);
            assertTrue(phones.add(phone), "phone given twice: " + phone);
            String[] street = world.objectOf(person, Relations2.HOME_STREET).split(" ");
            assertTrue(Integer.parseInt(street[0]) >= 1 && Material2.STREET_WORDS.contains(street[1])
                    && Material2.STREET_KINDS.contains(street[2]), String.join(" ", street));
            assertTrue(Material2.CONDITIONS.contains(world.objectOf(person, Relations2.MEDICAL_CONDITION)));
        }
        for (Relation r : world.relations()) {
            assertEquals(Set.of(Relations2.PHONE, Relations2.HOME_STREET, Relations2.MEDICAL_CONDITION).contains(r.id()),
                    r.sensitive(), r.id());
        }
    }

    @Test
    void factsFileVersionTwoRoundTrips(@TempDir Path dir) throws Exception {
        world.writeFactsJson(dir.resolve("facts.json"));
        assertTrue(Files.readString(dir.resolve("facts.json")).contains("\"format\": \"emend-facts/2\""));
        FactWorld back = FactWorld.readFactsJson(dir.resolve("facts.json"));
        assertEquals(2, back.generation());
        assertEquals(world.relations(), back.relations());
        assertEquals(world.facts(), back.facts());
        assertEquals(world.aliases(), back.aliases());
        assertEquals(world.topicPolarity(), back.topicPolarity());
        assertEquals(world.biographies(), back.biographies());
        assertEquals(world.evalSets(1), back.evalSets(1));
        assertEquals(corpus.documents(), back.trainingCorpus(1).documents());
    }

    @Test
    void fittedTokenizerSplitsSubjectsAndRoundTrips(@TempDir Path dir) throws Exception {
        Path file = BpeTokenizerTrainer.withVocabSize(2048).trainAndWrite(world.tokenizerDocuments(20), dir);
        try (TextTokenizer tok = TextTokenizer.load(file)) {
            int multi = 0;
            for (String s : world.subjects()) {
                multi += tok.encode(" " + s).length > 1 ? 1 : 0;
            }
            assertTrue(multi >= 0.95 * world.subjects().size(), "multi-token subjects " + multi + "/" + world.subjects().size());
            var texts = new ArrayList<>(corpus.documents());
            world.evalSets(1).heldOut().forEach(i -> texts.add(i.prompt() + " " + i.target()));
            for (String s : texts) {
                assertEquals(s, tok.decode(tok.encode(s)));
            }
        }
    }
}
