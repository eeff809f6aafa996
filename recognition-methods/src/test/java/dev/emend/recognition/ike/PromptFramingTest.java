package dev.emend.recognition.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.recognition.ice.IcePrompt;
import dev.emend.recognition.memory.Demonstration;
import dev.emend.recognition.memory.EditKey;
import dev.emend.recognition.memory.StoredFact;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden strings: the exact IKE and ICE contexts the default model reads. They were taken from the
 * code before the framing moved from fact-world into editing-core ({@code dev.emend.core.prompt})
 * and must not change byte for byte: the default model was trained on exactly this text.
 */
class PromptFramingTest {
    private static final List<String> FACTS = List.of("People in Syria speak Greek", "The capital of France is Rome");
    private static final String QUERY = "In Syria, people speak";

    @Test
    void demonstrationsAndStatementsKeepTheTrainedFormat() {
        Demonstration copy = new Demonstration(Demonstration.Kind.COPY, "The capital of France is", "Rome",
                "The capital of France is", "Rome");
        Demonstration retain = new Demonstration(Demonstration.Kind.RETAIN, "People in Syria speak", "Greek",
                "The capital of Spain is", "Madrid");
        assertEquals("The capital of France is Rome", copy.statement());
        assertEquals("New fact: The capital of France is Rome. The capital of France is Rome.", copy.text());
        assertEquals("New fact: People in Syria speak Greek. The capital of Spain is Madrid.", retain.text());
        assertEquals("People in Syria speak Greek The capital of Spain is", retain.retrievalText());
        StoredFact fact = new StoredFact("e1", "People in Syria speak", "Syria", "Greek",
                EditKey.of("People in Syria speak", "Syria"), 1, new float[] {1f});
        assertEquals("People in Syria speak Greek", fact.statement());
    }

    @Test
    void iceIsTheNewFactLinesThenTheQuery() {
        assertEquals("New fact: People in Syria speak Greek. New fact: The capital of France is Rome. In Syria, people speak",
                IcePrompt.build(FACTS, QUERY));
        assertEquals("In Syria, people speak", IcePrompt.build(List.of(), QUERY));
    }

    @Test
    void ikeSeparatesDemonstrationsWithTheCheckpointsEndOfText() throws Exception {
        Path root = Path.of(System.getProperty("emend.repo.root", "..")).toAbsolutePath().normalize();
        Demonstration copy = new Demonstration(Demonstration.Kind.COPY, "The capital of France is", "Rome",
                "The capital of France is", "Rome");
        Demonstration update = new Demonstration(Demonstration.Kind.UPDATE, "People in Syria speak", "Greek",
                "The language of Syria is", "Greek");
        try (LanguageModel lm = Checkpoints.load(root.resolve("models/emend-facts"))) {
            String eos = IkePrompt.separator("eos", lm);
            assertEquals("<|endoftext|>", eos);
            assertEquals(" ", IkePrompt.separator("space", lm));
            assertEquals("New fact: The capital of France is Rome. The capital of France is Rome.<|endoftext|>"
                            + "New fact: People in Syria speak Greek. The language of Syria is Greek.<|endoftext|>"
                            + "New fact: People in Syria speak Greek. New fact: The capital of France is Rome. In Syria, people speak",
                    IkePrompt.build(List.of(copy, update), FACTS, QUERY, eos));
            assertEquals("New fact: The capital of France is Rome. The capital of France is Rome. "
                            + "New fact: People in Syria speak Greek. In Syria, people speak",
                    IkePrompt.build(List.of(copy), FACTS.subList(0, 1), QUERY, " "));
        }
    }
}
