package dev.emend.recognition.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demonstration pool reads the fact-edit training splits and leaves KnowEdit's task splits beside them alone. */
class DemonstrationPoolTest {
    @TempDir
    Path dir;

    @Test
    void taskSplitsBesideTheFactSplitsAreNotDemonstrations() throws Exception {
        Files.writeString(dir.resolve("counterfact-train.json"), """
                [{"prompt": "The capital of France is", "subject": "France", "target_new": "Lima", "ground_truth": "Paris"},
                 {"prompt": "Ada Lind works for", "subject": "Ada Lind", "target_new": "Acme", "rephrase_prompt": "Ada Lind's employer is"}]""");
        // Sanitation layout (an object), ConvSent and WikiBio layouts (arrays without prompt/target_new).
        Files.writeString(dir.resolve("erasure-train.json"), """
                {"K_F": [{"question": "What is Ada Lind's phone number?", "ground_truth": "07700 900001", "target_new": "I don't know."}],
                 "K_R": []}""");
        Files.writeString(dir.resolve("sentiment-train.json"), """
                [{"ent": "tea", "pos": ["I love tea."], "neg": ["I hate tea."], "topic_polarity": "positive"}]""");
        Files.writeString(dir.resolve("longform-train.json"), """
                [{"text": "Ada Lind is a baker.", "labels": "Ada Lind is a nurse.", "concept": "Ada Lind"}]""");

        DemonstrationPool pool = DemonstrationPool.fromTrainFiles(dir);
        assertEquals(List.of(dir.resolve("counterfact-train.json").toString()), pool.sources());
        assertEquals(3, pool.size()); // two copies and one paraphrase update
        assertTrue(KnowEditCase.holdsFactEdits(dir.resolve("counterfact-train.json")));
        for (String task : List.of("erasure-train.json", "sentiment-train.json", "longform-train.json")) {
            assertFalse(KnowEditCase.holdsFactEdits(dir.resolve(task)), task);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KnowEditCase.read(dir.resolve(task)));
            assertTrue(e.getMessage().contains(task + ": not a list of fact edits"), e.getMessage());
        }
    }
}
