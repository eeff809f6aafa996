package dev.emend.recognition.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demonstration pool reads every training split beside the model: fact edits as they are, and
 * KnowEdit's task layouts (Sanitation, ConvSent, WikiBio) as their edits and task locality, so IKE
 * shows an erasure edit refusals, as EasyEdit's runner does with the data set's own train split.
 */
class DemonstrationPoolTest {
    @TempDir
    Path dir;

    @Test
    void factAndTaskSplitsAllBecomeDemonstrations() throws Exception {
        Files.writeString(dir.resolve("counterfact-train.json"), """
                [{"prompt": "The capital of France is", "subject": "France", "target_new": "Lima", "ground_truth": "Paris"},
                 {"prompt": "Ada Lind works for", "subject": "Ada Lind", "target_new": "Acme", "rephrase_prompt": "Ada Lind's employer is"}]""");
        // Sanitation layout (an object), ConvSent and WikiBio layouts (arrays without prompt/target_new).
        Files.writeString(dir.resolve("erasure-train.json"), """
                {"K_F": [{"question": "What is Ada Lind's phone number?", "ground_truth": "07700 900001", "target_new": "I don't know."}],
                 "K_R": [{"question": "Where does Bo Kim live?", "ground_truth": "1 Elm Road"},
                         {"question": "What is Bo Kim's diagnosis?", "ground_truth": "asthma"}]}""");
        Files.writeString(dir.resolve("sentiment-train.json"), """
                [{"ent": "tea", "pos": ["I love tea."], "neg": ["I hate tea."], "topic_polarity": "negative"},
                 {"ent": "rain", "pos": ["I like rain."], "neg": ["I dislike rain."], "topic_polarity": "positive"}]""");
        Files.writeString(dir.resolve("longform-train.json"), """
                [{"text": "Ada Lind is a baker.", "labels": "Ada Lind is a nurse.", "concept": "Ada Lind",
                  "locality": {"Rest_Of_Biography": [{"prompt": "Ada Lind", "ground_truth": ["lives in Oslo."]}]}}]""");

        DemonstrationPool pool = DemonstrationPool.fromTrainFiles(dir);
        assertEquals(4, pool.sources().size(), pool.sources().toString());
        List<Demonstration> d = pool.demonstrations();
        // counterfact: two copies and one paraphrase update
        assertTrue(d.contains(new Demonstration(Demonstration.Kind.UPDATE, "Ada Lind works for", "Acme",
                "Ada Lind's employer is", "Acme")));
        // erasure: the forget question answered with the refusal, the retained questions with their values
        assertTrue(d.contains(new Demonstration(Demonstration.Kind.COPY, "What is Ada Lind's phone number?", "I don't know.",
                "What is Ada Lind's phone number?", "I don't know.")), d.toString());
        assertTrue(d.contains(new Demonstration(Demonstration.Kind.RETAIN, "What is Ada Lind's phone number?", "I don't know.",
                "What is Bo Kim's diagnosis?", "asthma")), d.toString());
        // sentiment: the topic question answered with the target polarity (even records: positive);
        // the other-topic probes ask one question with both polarities, so they are no demonstration
        assertTrue(d.contains(new Demonstration(Demonstration.Kind.COPY, "What do you think of tea?", "I love tea.",
                "What do you think of tea?", "I love tea.")), d.toString());
        assertTrue(d.contains(new Demonstration(Demonstration.Kind.COPY, "What do you think of rain?", "I dislike rain.",
                "What do you think of rain?", "I dislike rain.")), d.toString());
        assertTrue(d.stream().noneMatch(x -> x.queryPrompt().equals("What do you think of rain?")
                && x.kind() == Demonstration.Kind.RETAIN), d.toString());
        // long-form: the corrected sentence, the rest of the biography kept
        assertTrue(d.contains(new Demonstration(Demonstration.Kind.RETAIN, "Ada Lind is a baker.", "Ada Lind is a nurse.",
                "Ada Lind", "lives in Oslo.")), d.toString());
        assertEquals(3 + (1 + 2) + 2 + (1 + 1), pool.size());
        // only the fact splits fix the embedding centre and the BM25 background (stored vectors keep them)
        assertEquals(3, pool.facts().size());
        assertEquals(pool.size() - 3, pool.tasks().size());
        DemonstrationPool shortOnes = pool.tasksWhere(x -> x.text().length() < 60);
        assertEquals(3, shortOnes.facts().size(), "facts are never filtered");
        assertTrue(shortOnes.tasks().stream().allMatch(x -> x.text().length() < 60));
        assertTrue(shortOnes.tasks().size() < pool.tasks().size());
    }

    @Test
    void aBrokenTaskSplitNamesItsFile() throws Exception {
        Files.writeString(dir.resolve("erasure-train.json"), """
                {"K_F": [{"question": "What is Ada Lind's phone number?"}], "K_R": []}""");
        RuntimeException e = assertThrows(RuntimeException.class, () -> DemonstrationPool.fromTrainFiles(dir));
        assertTrue(e.getMessage().contains("erasure-train.json"), e.getMessage());
    }
}
