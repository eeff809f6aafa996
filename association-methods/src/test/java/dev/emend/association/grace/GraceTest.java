package dev.emend.association.grace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.association.EditFixture;
import dev.emend.association.engine.AssociationEngine;
import dev.emend.association.engine.AssociationState;
import dev.emend.association.engine.TensorPack;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GraceTest {
    static AssociationEngine engine;

    @BeforeAll
    static void setUp() {
        engine = EditFixture.engine();
    }

    @AfterAll
    static void tearDown() {
        engine.close();
    }

    @Test
    void editChangesTheAnswerLeavesOthersAndReplaysFromBytes() {
        EditRequest r = EditFixture.EDIT;
        try (SpaceState base = engine.newState(); SpaceState s = engine.newState(); SpaceState replay = engine.newState()) {
            assertFalse(base.score(r.prompt(), r.targetNew()).value().allCorrect(), "the model must not know the edit already");
            LedgerUnit u = EditFixture.unit(engine, s, "GRACE", Map.of(), EditMode.SINGLE, List.of(r), "e1");
            s.apply(u);
            assertTrue(s.score(r.prompt(), r.targetNew()).value().allCorrect(), "edited prompt gives the new target");
            for (String[] q : EditFixture.UNRELATED) {
                assertArrayEquals(EditFixture.argmax(base, q[0], q[1]), EditFixture.argmax(s, q[0], q[1]), q[0]);
            }
            // a fresh state applying the stored bytes answers exactly the same
            replay.apply(new LedgerUnit(u.editIds(), u.method(), u.hparams(), u.requests(), u.payload().clone()));
            assertArrayEquals(EditFixture.logProbs(s, r.prompt(), r.targetNew()), EditFixture.logProbs(replay, r.prompt(), r.targetNew()));
            String gen = s.generate(r.prompt(), dev.emend.core.runtime.GenerationOptions.greedy(4)).value().text();
            assertTrue(gen.strip().startsWith("Rangoon"), "generation with the KV cache uses the codebook too: " + gen);
        }
    }

    /** EasyEdit's GPT-2 file wraps the up-projection (c_fc): the codebook keys its input and replaces its output. */
    @Test
    void theUpProjectionAsEasyEditsGpt2File() {
        EditRequest r = EditFixture.EDIT;
        ModuleRef up2 = new ModuleRef(2, Projection.MLP_UP);
        try (SpaceState base = engine.newState(); AssociationState s = (AssociationState) engine.newState();
                SpaceState replay = engine.newState()) {
            LedgerUnit u = EditFixture.unit(engine, s, "GRACE", Map.of("inner_params", List.of("transformer.h[2].mlp.c_fc.weight")),
                    EditMode.SINGLE, List.of(r), "e1");
            s.apply(u);
            assertEquals(1, s.codebook(up2).size());
            assertEquals(null, s.codebook(new ModuleRef(2, Projection.MLP_DOWN)));
            assertEquals(engine.model().config().intermediateSize(), s.codebook(up2).entries().get(0).value().length);
            assertTrue(s.score(r.prompt(), r.targetNew()).value().allCorrect(), "edited prompt gives the new target");
            for (String[] q : EditFixture.UNRELATED) {
                assertArrayEquals(EditFixture.argmax(base, q[0], q[1]), EditFixture.argmax(s, q[0], q[1]), q[0]);
            }
            replay.apply(u);
            assertArrayEquals(EditFixture.logProbs(s, r.prompt(), r.targetNew()), EditFixture.logProbs(replay, r.prompt(), r.targetNew()));
        }
    }

    @Test
    void codebookRulesNewInsideAndRollbackByRebuild() {
        EditRequest a = EditFixture.EDIT;
        EditRequest b = EditRequest.of("The capital of France is", "France", "Lima");
        try (AssociationState s = (AssociationState) engine.newState(); SpaceState base = engine.newState()) {
            LedgerUnit ua = EditFixture.unit(engine, s, "GRACE", Map.of(), EditMode.SINGLE, List.of(a), "a");
            s.apply(ua);
            LedgerUnit ub = EditFixture.unit(engine, s, "GRACE", Map.of(), EditMode.SINGLE, List.of(b), "b");
            assertEquals("new", TensorPack.fromBytes(ub.payload()).get("op"), "a far key makes a new entry");
            s.apply(ub);
            assertEquals(2, s.graceEntries());
            // the same prompt and label again lies inside the key's radius: its value is retrained, no new entry
            LedgerUnit again = EditFixture.unit(engine, s, "GRACE", Map.of(), EditMode.SINGLE, List.of(a), "a2");
            assertEquals("inside", TensorPack.fromBytes(again.payload()).get("op"));
            s.apply(again);
            assertEquals(2, s.graceEntries());
            assertTrue(s.score(b.prompt(), b.targetNew()).value().allCorrect());
            // rollback of "a" = rebuild from the remaining units; "a2" referred to a's entry, so it becomes its own
            try (AssociationState rebuilt = (AssociationState) engine.newState()) {
                rebuilt.apply(ub);
                assertArrayEquals(EditFixture.argmax(base, a.prompt(), a.targetNew()),
                        EditFixture.argmax(rebuilt, a.prompt(), a.targetNew()), "rolled-back edit is gone");
                assertTrue(rebuilt.score(b.prompt(), b.targetNew()).value().allCorrect(), "the other edit stays");
                rebuilt.apply(again);
                assertEquals(2, rebuilt.graceEntries());
                assertTrue(rebuilt.score(a.prompt(), a.targetNew()).value().allCorrect());
            }
        }
    }
}
