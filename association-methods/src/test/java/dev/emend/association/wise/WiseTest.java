package dev.emend.association.wise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.association.EditFixture;
import dev.emend.association.engine.AssociationEngine;
import dev.emend.association.engine.AssociationState;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.SpaceState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WiseTest {
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
    void editRoutesTheEditedPromptOnlyAndMergedShardsReplayDeterministically() {
        EditRequest a = EditFixture.EDIT;
        EditRequest b = EditRequest.of("People in Syria speak", "Syria", "Greek");
        // one edit per shard, merged every two edits: exercises save, TIES merge and retrieval
        Map<String, Object> hp = Map.of("save_freq", 1, "merge_freq", 2);
        try (AssociationState s = (AssociationState) engine.newState(); SpaceState base = engine.newState()) {
            assertFalse(base.score(a.prompt(), a.targetNew()).value().allCorrect());
            LedgerUnit ua = EditFixture.unit(engine, s, "WISE", hp, EditMode.SINGLE, List.of(a), "a");
            s.apply(ua);
            assertTrue(s.score(a.prompt(), a.targetNew()).value().tokenAccuracy() >= 0.5, "edit routed to the side memory");
            for (String[] q : EditFixture.UNRELATED) {
                assertArrayEquals(EditFixture.argmax(base, q[0], q[1]), EditFixture.argmax(s, q[0], q[1]), q[0]);
            }
            LedgerUnit ub = EditFixture.unit(engine, s, "WISE", hp, EditMode.SINGLE, List.of(b), "b");
            s.apply(ub);
            assertEquals(1, s.wiseMemory(4).merges());
            assertEquals(1, s.wiseMemory(4).routable().size(), "Retrieve: the two shards became one merged memory");
            try (SpaceState r = engine.newState()) {
                r.apply(ua);
                r.apply(ub);
                assertArrayEquals(EditFixture.logProbs(s, b.prompt(), b.targetNew()), EditFixture.logProbs(r, b.prompt(), b.targetNew()),
                        "replaying the payloads gives the same state");
            }
            // rollback of a after the merge: the rebuild holds b's delta alone (a's delta is not in it)
            try (AssociationState r = (AssociationState) engine.newState()) {
                r.apply(ub);
                assertEquals(0, r.wiseMemory(4).merges());
                assertArrayEquals(EditFixture.argmax(base, a.prompt(), a.targetNew()), EditFixture.argmax(r, a.prompt(), a.targetNew()));
            }
        }
    }
}
