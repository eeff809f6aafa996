package dev.emend.knowedit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KnowEditReaderTest {

    static Path fixture(String name) {
        try {
            return Path.of(KnowEditReaderTest.class.getResource("/knowedit/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void recentFlattensAliasListsAndExpandsPromptLists() throws IOException {
        KnowEditDataset d = KnowEditReader.read(fixture("recent.json"));
        assertEquals(KnowEditFormat.WIKIDATA_RECENT, d.format());
        assertEquals(2, d.size());
        EvalCase c = d.cases().get(0);
        assertEquals("recent/0", c.caseId());
        assertEquals("Leo Arons", c.subject());
        assertEquals("Berlin", c.targetNew());
        assertTrue(c.groundTruth().isEmpty());
        assertEquals(List.of("Logical_Generalization", "Reasoning", "Subject_Aliasing"),
                List.copyOf(c.portability().keySet()));
        // [["no"],["incorrect"],["false"]] -> alternatives kept, first is EasyEdit's [0][0]
        assertEquals(List.of("no", "incorrect", "false"), c.portability().get("Logical_Generalization").get(0).groundTruth());
        assertEquals("Europe", c.portability().get("Reasoning").get(0).answer());
        assertEquals(List.of("Albert Arons"), c.locality().get("Relation_Specificity").get(0).groundTruth());
        EvalCase c1 = d.cases().get(1);
        assertFalse(c1.hasPortability());
        List<Probe> loc = c1.locality().get("Relation_Specificity");
        assertEquals(2, loc.size(), "a prompt list gives one probe per prompt");
        assertEquals("The job of Ivan Okafor is", loc.get(1).prompt());
        assertEquals("engineer", loc.get(1).answer());
    }

    @Test
    void zsreKeepsCondInExtraAndListGroundTruth() throws IOException {
        KnowEditDataset d = KnowEditReader.read(fixture("zsre.json"));
        assertEquals(KnowEditFormat.ZSRE, d.format());
        EvalCase c = d.cases().get(0);
        assertEquals("zsre/0", c.caseId());
        assertEquals(List.of("Aspidoceratidae"), c.groundTruth());
        assertEquals(List.of("What family are Epaspidoceras?"), c.rephrasePrompts());
        assertEquals("Geometridae >> Noctuidae || Which family does Epaspidoceras belong to?", c.extra().get("cond"));
        assertEquals(2, c.locality().get("Relation_Specificity").size());
        assertEquals(List.of("Owlet moths"), c.portability().get("Reasoning").get(0).groundTruth());
    }

    @Test
    void wikiBioMapsTextLabelsConcept() throws IOException {
        KnowEditDataset d = KnowEditReader.read(fixture("wikibio.json"));
        assertEquals(KnowEditFormat.WIKIBIO, d.format());
        EvalCase c = d.cases().get(0);
        assertTrue(c.prompt().startsWith("This is a Wikipedia passage"));
        assertEquals("He received general education from his father.", c.targetNew());
        assertEquals("john russell reynolds", c.subject());
        assertEquals("medicine", c.locality().get("Relation_Specificity").get(0).answer());
        assertTrue(c.portability().isEmpty());
    }

    @Test
    void counterfactStringGroundTruthAndRephraseList() throws IOException {
        KnowEditDataset d = KnowEditReader.read(fixture("counterfact.json"));
        assertEquals(KnowEditFormat.WIKIDATA_COUNTERFACT, d.format());
        EvalCase c = d.cases().get(0);
        assertEquals(List.of("mayor of Vienna"), c.groundTruth());
        assertEquals(List.of("Relation_Specificity", "Forgetfulness"), List.copyOf(c.locality().keySet()));
        EvalCase c1 = d.cases().get(1);
        assertEquals("counterfact/1", c1.caseId());
        assertEquals(List.of("Syria's official language is", "The language of Syria is"), c1.rephrasePrompts());
        assertFalse(c1.hasLocality());
    }

    @Test
    void convSentAlternatesTargetSentiment() throws IOException {
        KnowEditDataset d = KnowEditReader.read(fixture("convsent.json"));
        assertEquals(KnowEditFormat.CONVSENT, d.format());
        EvalCase c0 = d.cases().get(0);
        assertEquals("What do you think of pineapple pizza?", c0.prompt());
        assertEquals("pineapple pizza", c0.subject());
        assertEquals("I love it, it is delicious.", c0.targetNew());
        assertEquals("pos", c0.extra().get("target_sentiment"));
        assertEquals(List.of("I hate it."), c0.extra().get("neg"));
        EvalCase c1 = d.cases().get(1);
        assertEquals("Jazz bores me.", c1.targetNew());
        assertEquals("neg", c1.extra().get("target_sentiment"));
    }

    @Test
    void sanitationTestAndTrain() throws IOException {
        KnowEditDataset test = KnowEditReader.read(fixture("sanitation-test.json"));
        assertEquals(KnowEditFormat.SANITATION, test.format());
        assertEquals(2, test.size());
        EvalCase c = test.cases().get(1);
        assertEquals("sanitation/success/1", c.caseId());
        assertEquals("What sort of creature is a killdeer?", c.prompt());
        assertEquals("I don't know.", c.targetNew());
        assertEquals(List.of("Birds"), c.groundTruth());
        assertEquals("success", c.extra().get("split"));
        assertEquals(c.prompt(), c.extra().get("question"));
        assertEquals(List.of("locality"), List.copyOf(test.sharedLocality().keySet()));
        assertEquals("William Shakespeare", test.sharedLocality().get("locality").get(0).answer());

        KnowEditDataset train = KnowEditReader.read(fixture("sanitation-train.json"));
        assertEquals(1, train.size());
        assertEquals("killdeer", train.cases().get(0).subject());
        assertEquals("sanitation/K_F/0", train.cases().get(0).caseId());
        assertEquals(2, train.sharedLocality().get("K_R").size());
    }

    @Test
    void explicitFormatMustMatchContent() throws IOException {
        // counterfact requires ground_truth; a recent file read as counterfact fails at record 0
        KnowEditFormatException e = assertThrows(KnowEditFormatException.class,
                () -> KnowEditReader.read(fixture("recent.json"), KnowEditFormat.WIKIDATA_COUNTERFACT));
        assertEquals(0, e.recordIndex());
        assertEquals("ground_truth", e.fieldPath());
        // Explicit ZsRE on a counterfact file is fine: the shapes are compatible.
        assertEquals(2, KnowEditReader.read(fixture("counterfact.json"), KnowEditFormat.ZSRE).size());
        // a list file read as Sanitation fails at file level
        KnowEditFormatException s = assertThrows(KnowEditFormatException.class,
                () -> KnowEditReader.read(fixture("zsre.json"), KnowEditFormat.SANITATION));
        assertEquals(-1, s.recordIndex());
        assertEquals(KnowEditFormat.ZSRE, KnowEditFormat.parse("zsre"));
        assertEquals(KnowEditFormat.WIKIDATA_COUNTERFACT, KnowEditFormat.parse("WIKIDATA_COUNTERFACT"));
        assertThrows(IllegalArgumentException.class, () -> KnowEditFormat.parse("mquake"));
    }

    @ParameterizedTest
    @CsvSource({
            // file, record, field path, words the message must contain
            "counterfact-portability-number.json, 1, portability.Reasoning[1].ground_truth, number 42",
            "zsre-missing-target.json, 2, target_new, missing",
            "recent-alias-object.json, 0, locality.Relation_Specificity[0].ground_truth[0][1], an object",
            "wikibio-labels-list.json, 0, labels, expected a string",
            "convsent-empty-neg.json, 0, neg, at least one",
            "sanitation-missing-question.json, 1, success[1].question, missing",
    })
    void malformedRecordNamesFileRecordAndField(String name, int record, String field, String words) {
        Path f = fixture("malformed/" + name);
        KnowEditFormatException e = assertThrows(KnowEditFormatException.class, () -> KnowEditReader.read(f));
        assertEquals(f, e.file());
        assertEquals(record, e.recordIndex());
        assertEquals(field, e.fieldPath());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("record " + record), e.getMessage());
        assertTrue(e.getMessage().contains("field " + field), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
    }

    @Test
    void syntaxErrorAndEmptyFileAreFileLevel() {
        Path f = fixture("malformed/syntax.json");
        KnowEditFormatException e = assertThrows(KnowEditFormatException.class, () -> KnowEditReader.read(f));
        assertEquals(-1, e.recordIndex());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        Path empty = fixture("malformed/empty.json");
        KnowEditFormatException e2 = assertThrows(KnowEditFormatException.class, () -> KnowEditReader.read(empty));
        assertTrue(e2.getMessage().contains("pass the format explicitly"), e2.getMessage());
    }

    @Test
    void emptyFileWithExplicitFormatIsEmptyDataset() throws IOException {
        assertEquals(0, KnowEditReader.read(fixture("malformed/empty.json"), KnowEditFormat.ZSRE).size());
    }

    @Test
    void casesAreImmutable() throws IOException {
        EvalCase c = KnowEditReader.read(fixture("zsre.json")).cases().get(0);
        assertThrows(UnsupportedOperationException.class, () -> c.locality().put("x", List.of()));
        assertThrows(UnsupportedOperationException.class, () -> c.extra().put("x", "y"));
        assertThrows(UnsupportedOperationException.class, () -> c.groundTruth().add("y"));
    }

    /** The default model's benchmark files: KnowEdit shapes, 300 test cases and 120 train cases each. */
    @ParameterizedTest
    @CsvSource({
            "counterfact.json, counterfact, 300", "counterfact-train.json, counterfact, 120",
            "recent.json, recent, 300", "recent-train.json, recent, 120",
            "zsre.json, zsre, 300", "zsre-train.json, zsre, 120",
    })
    void readsEmendFactsBenchmarks(String name, String format, int n) throws IOException {
        Path f = repoRoot().resolve("benchmarks/emend-facts").resolve(name);
        KnowEditDataset d = KnowEditReader.read(f);
        assertEquals(KnowEditFormat.parse(format), d.format());
        assertEquals(n, d.size());
        for (EvalCase c : d.cases()) {
            assertFalse(c.prompt().isBlank());
            assertFalse(c.targetNew().isBlank());
            assertTrue(c.prompt().contains(c.subject()) || format.equals("zsre"), c.caseId());
            assertEquals(1, c.rephrasePrompts().size(), c.caseId());
            assertTrue(c.hasLocality(), c.caseId());
        }
    }

    @Test
    void emendFactsWorldFileIsRejectedWithAHint() {
        Path f = repoRoot().resolve("benchmarks/emend-facts/facts.json");
        KnowEditFormatException e = assertThrows(KnowEditFormatException.class, () -> KnowEditReader.read(f));
        assertTrue(e.getMessage().contains("only valid for Sanitation"), e.getMessage());
    }

    static Path repoRoot() {
        String p = System.getProperty("emend.repo.root");
        Path root = p != null ? Path.of(p) : Path.of("..");
        assertTrue(Files.isDirectory(root.resolve("benchmarks/emend-facts")), "repo root not found: " + root);
        return root.toAbsolutePath().normalize();
    }

}
