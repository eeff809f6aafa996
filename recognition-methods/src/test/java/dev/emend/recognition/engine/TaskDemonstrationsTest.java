package dev.emend.recognition.engine;

import dev.emend.recognition.memory.Demonstration;
import dev.emend.recognition.memory.DemonstrationPool;
import dev.emend.recognition.retrieval.Fusion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The second-generation model's engine over task train splits: it starts when a biography
 * demonstration is longer than the 128-token context (that one is left out instead of failing the
 * embedding, as the service did once), and an erasure edit's nearest demonstrations are refusals.
 * The split files are the committed erasure split and a two-record biography split (one short, one
 * too long), so the test embeds a few hundred demonstrations, not the whole folder.
 */
class TaskDemonstrationsTest {
    @TempDir
    Path dir;

    @Test
    void anErasureEditIsShownRefusalsAndTooLongBiographiesAreLeftOut() throws Exception {
        Files.copy(SharedEngine.root().resolve("benchmarks/emend-facts-2/erasure-train.json"), dir.resolve("erasure-train.json"));
        String longText = "This is a biography of Ada Lind. " + "Ada Lind works as a baker in a small town by the sea. ".repeat(12);
        Files.writeString(dir.resolve("longform-train.json"), """
                [{"text": "This is a biography of Ada Lind.", "labels": "Ada Lind trained as nurse.", "concept": "Ada Lind"},
                 {"text": "%s", "labels": "Ada Lind trained as nurse.", "concept": "Ada Lind"}]""".formatted(longText));
        DemonstrationPool pool = DemonstrationPool.fromTrainFiles(dir);
        try (RecognitionEngine e = new RecognitionEngine(
                dev.emend.core.runtime.Checkpoints.load(SharedEngine.root().resolve("models/emend-facts-2")), "emend-facts-2",
                pool, true)) {
            assertEquals(pool.size() - 1, e.demonstrations().size(), "exactly the too-long biography is left out");
            String question = "Which phone number belongs to Leila Irene Keller?";
            List<Demonstration> picked = e.demonstrations().select(question + " I don't know.", question, 4,
                    List.of(1.0, 3.0, 4.0), new Fusion(0.25, 0.75, 20));
            assertTrue(picked.stream().anyMatch(d -> d.kind() == Demonstration.Kind.COPY && d.answer().equals("I don't know.")),
                    picked.toString());
            assertTrue(picked.stream().anyMatch(d -> d.kind() == Demonstration.Kind.RETAIN && !d.answer().equals("I don't know.")),
                    "retained questions keep their answers: " + picked);
        }
    }
}
