package dev.emend.association.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.association.EditFixture;
import dev.emend.association.engine.AssociationEngine;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.SpaceState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LoraTest {
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
    void batchAdapterEditsBothPromptsLeavesOthersAndReplays() {
        EditRequest a = EditFixture.EDIT;
        EditRequest b = EditRequest.of("People in Syria speak", "Syria", "Greek");
        try (SpaceState base = engine.newState(); SpaceState s = engine.newState(); SpaceState replay = engine.newState()) {
            assertFalse(base.score(b.prompt(), b.targetNew()).value().allCorrect());
            LedgerUnit u = EditFixture.unit(engine, s, "LoRA", Map.of(), EditMode.BATCH, List.of(a, b), "a", "b");
            s.apply(u);
            assertTrue(s.score(a.prompt(), a.targetNew()).value().allCorrect());
            assertTrue(s.score(b.prompt(), b.targetNew()).value().allCorrect());
            // other relations stay; the same relation of another person ("Gustav Ibarra was born in") does
            // not always: a batch adapter generalises along the relation (LoRA's known locality cost)
            for (String[] q : new String[][] {EditFixture.UNRELATED[0], EditFixture.UNRELATED[2]}) {
                assertArrayEquals(EditFixture.argmax(base, q[0], q[1]), EditFixture.argmax(s, q[0], q[1]), q[0]);
            }
            replay.apply(u);
            assertArrayEquals(EditFixture.logProbs(s, a.prompt(), a.targetNew()), EditFixture.logProbs(replay, a.prompt(), a.targetNew()));
        }
    }

    @Test
    void otherTargetsAndLayersAreHonoured() {
        EditRequest a = EditFixture.EDIT;
        try (SpaceState s = engine.newState()) {
            LedgerUnit u = EditFixture.unit(engine, s, "LoRA", Map.of("layers", List.of(1, 2), "target_modules",
                    List.of("c_attn", "c_fc"), "num_steps", 60), EditMode.SINGLE, List.of(a), "a");
            s.apply(u);
            assertTrue(s.score(a.prompt(), a.targetNew()).value().allCorrect());
        }
    }
}
