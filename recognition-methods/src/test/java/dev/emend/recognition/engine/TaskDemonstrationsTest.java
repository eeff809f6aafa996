package dev.emend.recognition.engine;

import dev.emend.recognition.memory.Demonstration;
import dev.emend.recognition.retrieval.Fusion;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The second-generation model's engine over its benchmark folder, whose train splits include the
 * task layouts: it starts (biography demonstrations longer than the 128-token context are left
 * out instead of failing the embedding), and an erasure edit's nearest demonstrations are refusals.
 */
class TaskDemonstrationsTest {
    @Test
    void anErasureEditIsShownRefusals() {
        try (RecognitionEngine e = RecognitionEngine.open(SharedEngine.root().resolve("models/emend-facts-2"),
                SharedEngine.root().resolve("benchmarks/emend-facts-2"))) {
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
