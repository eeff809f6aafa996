package dev.emend.recognition.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.edit.Answer;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.Phase;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ScoreResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine on the real default model: edits change answers, gating, supersession, truncation, validation. */
class RecognitionEngineTest {
    private static final EditRequest SYRIA = EditRequest.of("People in Syria speak", "Syria", "Greek");
    private static final String SYRIA_PARAPHRASE = "Syria's official language is";
    private final RecognitionEngine engine = SharedEngine.get();
    private final LanguageModel lm = engine.model();

    @Test
    void describesThePhaseAndLoadsTheYamlDefaults() {
        assertEquals(Phase.RECOGNITION, engine.phase());
        // the shipped methods, the default (SERAC) first; NEAREST is the toy plug-in of this test source set (toy/)
        assertEquals(List.of("SERAC", "IKE", "ICE"), engine.methods().stream().map(m -> m.name())
                .filter(n -> !n.equals("NEAREST")).toList());
        var serac = engine.method("serac");
        assertEquals("hparams/SERAC/emend-facts.yaml", serac.hparamsSource());
        assertEquals(0.6006, ((Number) serac.hparam("threshold").orElseThrow().defaultValue()).doubleValue(), 1e-9);
        assertTrue(serac.exactRollback());
    }

    @Test
    void eachMethodMakesThePromptAndItsParaphraseAnswerTheNewTarget() {
        assertFalse(lm.score(lm.baseView(), SYRIA.prompt(), "Greek").allCorrect(), "the base model must not already say Greek");
        assertFalse(lm.score(lm.baseView(), SYRIA_PARAPHRASE, "Greek").allCorrect());
        for (String method : List.of("IKE", "ICE", "SERAC")) {
            LocalLedger ledger = new LocalLedger(engine);
            try (RecognitionState state = engine.newState()) {
                ledger.edit(state, method, Map.of(), SYRIA);
                String id = ledger.lastId(0);
                for (String q : List.of(SYRIA.prompt(), SYRIA_PARAPHRASE)) {
                    Answer<ScoreResult> a = state.score(q, "Greek");
                    assertTrue(a.value().allCorrect(), method + " on '" + q + "': " + a.promptUsed());
                    assertEquals(List.of(id), a.matchedEditIds(), method);
                    assertTrue(a.promptUsed().startsWith("New fact: People in Syria speak Greek. "), a.promptUsed());
                    assertTrue(a.promptUsed().endsWith(q), a.promptUsed());
                    assertEquals(a.value().promptIds().length, a.promptTokens());
                }
                Answer<dev.emend.core.runtime.Generation> g = state.generate(SYRIA_PARAPHRASE, GenerationOptions.greedy(4));
                assertTrue(g.value().text().startsWith(" Greek"), method + " generated '" + g.value().text() + "'");
            }
        }
    }

    @Test
    void seracSendsAnUnrelatedPromptToTheUntouchedBaseModel() {
        LocalLedger ledger = new LocalLedger(engine);
        try (RecognitionState state = engine.newState()) {
            ledger.edit(state, "SERAC", Map.of(), SYRIA);
            for (String[] q : List.of(new String[] {"The capital of France is", "Paris"},
                    new String[] {"The currency of Syria is the", "Syrian Pound"})) {
                Answer<ScoreResult> a = state.score(q[0], q[1]);
                assertEquals(List.of(), a.matchedEditIds(), q[0]);
                assertEquals(q[0], a.promptUsed());
                ScoreResult base = lm.score(lm.baseView(), q[0], q[1]);
                assertArrayEquals(base.argmaxIds(), a.value().argmaxIds());
                assertArrayEquals(base.logProbs(), a.value().logProbs(), 1e-5f);
            }
        }
        // ICE has no gate: the same unrelated prompt gets the retrieved edit in context.
        try (RecognitionState state = engine.newState()) {
            ledger.edit(state, "ICE", Map.of(), SYRIA);
            assertEquals(1, state.score("The capital of France is", "Paris").matchedEditIds().size());
        }
    }

    @Test
    void aLaterEditAboutTheSameSubjectAndRelationSupersedesTheEarlierOne() {
        LocalLedger ledger = new LocalLedger(engine);
        try (RecognitionState state = engine.newState()) {
            ledger.edit(state, "ICE", Map.of(), SYRIA);
            String first = ledger.lastId(0);
            ComputedEdit second = ledger.edit(state, "ICE", Map.of(), EditRequest.of("People in Syria speak", "Syria", "French"));
            String secondId = ledger.lastId(0);
            assertEquals(List.of(first), second.supersedes());
            assertEquals("SUPERSEDES", second.notes().get(0).get(0).code());
            assertTrue(state.memory().get(first).isEmpty());
            Answer<ScoreResult> a = state.score(SYRIA_PARAPHRASE, "French");
            assertTrue(a.value().allCorrect(), a.promptUsed());
            assertEquals(List.of(secondId), a.matchedEditIds());
            // Another relation of the same subject does not supersede.
            ComputedEdit other = ledger.edit(state, "ICE", Map.of(), EditRequest.of("The capital of Syria is", "Syria", "Aleppo"));
            assertEquals(List.of(), other.supersedes());
            assertEquals(2, state.memory().size());
            // Rolling back the newer edit (a fresh state from the remaining units) brings the older back.
            try (RecognitionState rolled = ledger.replay(secondId)) {
                Answer<ScoreResult> r = rolled.score(SYRIA_PARAPHRASE, "Greek");
                assertTrue(r.value().allCorrect(), r.promptUsed());
                assertEquals(List.of(first), r.matchedEditIds());
            }
        }
    }

    @Test
    void twoRequestsOfOneBatchAboutTheSameFactKeepTheLaterOne() {
        LocalLedger ledger = new LocalLedger(engine);
        try (RecognitionState state = engine.newState()) {
            ComputedEdit c = ledger.edit(state, "ICE", Map.of(), EditMode.BATCH,
                    List.of(SYRIA, EditRequest.of("People in Syria speak", "Syria", "French")));
            assertEquals("SUPERSEDES", c.notes().get(1).get(0).code());
            assertEquals(1, state.memory().size());
            assertTrue(state.memory().get(ledger.lastId(1)).isPresent());
        }
    }

    @Test
    void demonstrationsThatDoNotFitAreDroppedWithATruncatedNoteButTheQueryIsKept() {
        LocalLedger ledger = new LocalLedger(engine);
        try (RecognitionState state = engine.newState()) {
            ledger.edit(state, "IKE", Map.of("k", 12), SYRIA);
            Answer<ScoreResult> a = state.score(SYRIA_PARAPHRASE, "Greek");
            assertEquals("TRUNCATED", a.notes().get(0).code(), a.notes().toString());
            assertTrue(a.promptUsed().endsWith("New fact: People in Syria speak Greek. " + SYRIA_PARAPHRASE), a.promptUsed());
            assertTrue(a.promptTokens() + a.value().targetIds().length <= lm.config().maxPositions());
            assertTrue(a.promptUsed().contains("<|endoftext|>"), "some demonstrations still fit: " + a.promptUsed());
            // With k = 1 everything fits: no note.
            ledger.edit(state, "IKE", Map.of("k", 1), EditRequest.of("The capital of Syria is", "Syria", "Aleppo"));
            Answer<ScoreResult> b = state.score("The capital of Syria is", "Aleppo");
            assertEquals(List.of(), b.notes());
            assertEquals(1, b.promptUsed().split("<\\|endoftext\\|>", -1).length - 1, b.promptUsed());
            // A query that cannot fit at all is refused, not cut.
            String longQuery = "The capital of Syria is".repeat(30);
            EditException e = assertThrows(EditException.class, () -> state.score(longQuery, "Aleppo"));
            assertEquals("prompt", e.field());
        }
    }

    @Test
    void badRequestsAreRefusedWithTheFieldAndWhatToDo() {
        var ice = engine.method("ICE");
        Hparams h = Hparams.defaults(ice);
        EditException e = assertThrows(EditException.class,
                () -> engine.validate(ice, h, EditMode.SINGLE, List.of(EditRequest.of("People in Syria speak", "Syria", " "))));
        assertEquals("requests[0].target_new", e.field());
        e = assertThrows(EditException.class,
                () -> engine.validate(ice, h, EditMode.BATCH, List.of(SYRIA, EditRequest.of("", "", "Greek"))));
        assertEquals("requests[1].prompt", e.field());
        e = assertThrows(EditException.class,
                () -> engine.validate(ice, h, EditMode.SINGLE, List.of(EditRequest.of("People in Syria speak", "Iraq", "Greek"))));
        assertEquals("requests[0].subject", e.field());
        assertTrue(e.getMessage().contains("does not occur in the prompt"));
        e = assertThrows(EditException.class, () -> engine.validate(ice, h, EditMode.SINGLE, List.of(SYRIA, SYRIA)));
        assertEquals("requests", e.field());
        e = assertThrows(EditException.class, () -> engine.validate(ice, h, EditMode.SINGLE,
                List.of(EditRequest.of("People in Syria speak".repeat(20), "Syria", "Greek"))));
        assertEquals("requests[0].prompt", e.field());
        assertTrue(e.getMessage().contains("context of 128"), e.getMessage());
        e = assertThrows(EditException.class, () -> Hparams.resolve(ice, Map.of("kk", 3)));
        assertEquals("hparams.kk", e.field());
        var ike = engine.method("IKE");
        e = assertThrows(EditException.class, () -> engine.validate(ike, Hparams.resolve(ike, Map.of("demo_type_ratio", List.of(1, 2))),
                EditMode.SINGLE, List.of(SYRIA)));
        assertEquals("hparams.demo_type_ratio", e.field());
        e = assertThrows(EditException.class, () -> engine.validate(ike, Hparams.resolve(ike, Map.of("bm25_weight", 0, "knn_weight", 0)),
                EditMode.SINGLE, List.of(SYRIA)));
        assertEquals("hparams.knn_weight", e.field());
        e = assertThrows(EditException.class, () -> engine.method("ROME"));
        assertEquals("method", e.field());
    }

    @Test
    void replayingTheLedgerRebuildsTheSameAnswers() {
        LocalLedger ledger = new LocalLedger(engine);
        try (RecognitionState state = engine.newState()) {
            ledger.edit(state, "SERAC", Map.of(), SYRIA);
            ledger.edit(state, "SERAC", Map.of(), EditRequest.of("The capital of Syria is", "Syria", "Aleppo"));
            try (RecognitionState replayed = ledger.replay("none")) {
                for (String q : List.of(SYRIA_PARAPHRASE, "The capital city of Syria is", "The capital of France is")) {
                    Answer<ScoreResult> a = state.score(q, "Greek");
                    Answer<ScoreResult> b = replayed.score(q, "Greek");
                    assertEquals(a.promptUsed(), b.promptUsed());
                    assertEquals(a.matchedEditIds(), b.matchedEditIds());
                    assertArrayEquals(a.value().logProbs(), b.value().logProbs(), 1e-6f);
                }
            }
        }
    }
}
