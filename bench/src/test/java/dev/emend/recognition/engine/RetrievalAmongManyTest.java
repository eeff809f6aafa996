package dev.emend.recognition.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.edit.Answer;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.recognition.retrieval.Hit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Retrieval keeps finding the right edit when 1,000 others are stored. */
class RetrievalAmongManyTest {
    @Test
    void findsTheRightFactAmongAThousandStored() throws Exception {
        RecognitionEngine engine = SharedEngine.get();
        List<EditRequest> others = RecognitionProbe.syntheticEdits(SharedEngine.root().resolve("models/emend-facts/facts.json"), 1000, 3);
        LocalLedger ledger = new LocalLedger(engine);
        try (RecognitionState state = engine.newState()) {
            ledger.edit(state, "SERAC", Map.of(), EditMode.BATCH, others.subList(0, 500));
            ledger.edit(state, "SERAC", Map.of(), EditRequest.of("Pavel Quinn was born in", "Pavel Quinn", "Rangoon"));
            String pavel = ledger.lastId(0);
            ledger.edit(state, "SERAC", Map.of(), EditMode.BATCH, others.subList(500, 1000));
            assertEquals(1001, state.memory().size(), "synthetic edits must not supersede each other");

            for (String q : List.of("Pavel Quinn was born in", "Pavel Quinn was born in the city of", "In which city was Pavel Quinn born?")) {
                Answer<ScoreResult> a = state.score(q, "Rangoon");
                assertEquals(List.of(pavel), a.matchedEditIds(), q + " -> " + a.promptUsed());
                assertTrue(a.promptUsed().startsWith("New fact: Pavel Quinn was born in Rangoon. "), a.promptUsed());
            }
            // Another relation of the same person stays with the base model.
            assertEquals(List.of(), state.score("Pavel Quinn's profession is", "professor").matchedEditIds());

            // Every stored synthetic edit is found first by its own prompt (a sample of 50).
            int found = 0;
            for (int i = 0; i < 1000; i += 20) {
                List<Hit> hits = state.retrieve(others.get(i).prompt(), new dev.emend.recognition.retrieval.Fusion(0.25, 0.75, 20));
                String id = ledger.units().get(i < 500 ? 0 : 2).editIds().get(i < 500 ? i : i - 500);
                found += hits.get(0).id().equals(id) ? 1 : 0;
            }
            assertEquals(50, found);
        }
    }
}
