package dev.emend.association.wise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.association.EditFixture;
import dev.emend.association.engine.AssociationEngine;
import dev.emend.association.engine.AssociationState;
import dev.emend.association.engine.TensorPack;
import dev.emend.core.edit.EditException;
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

class WiseTest {
    static final ModuleRef DOWN4 = new ModuleRef(4, Projection.MLP_DOWN);
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
            assertEquals(1, s.wiseMemory(DOWN4).merges());
            assertEquals(1, s.wiseMemory(DOWN4).routable().size(), "Retrieve: the two shards became one merged memory");
            try (SpaceState r = engine.newState()) {
                r.apply(ua);
                r.apply(ub);
                assertArrayEquals(EditFixture.logProbs(s, b.prompt(), b.targetNew()), EditFixture.logProbs(r, b.prompt(), b.targetNew()),
                        "replaying the payloads gives the same state");
            }
            // rollback of a after the merge: the rebuild holds b's delta alone (a's delta is not in it)
            try (AssociationState r = (AssociationState) engine.newState()) {
                r.apply(ub);
                assertEquals(0, r.wiseMemory(DOWN4).merges());
                assertArrayEquals(EditFixture.argmax(base, a.prompt(), a.targetNew()), EditFixture.argmax(r, a.prompt(), a.targetNew()));
            }
        }
    }

    /** The reference's training rows and Δ (prefixes, activation): the edit is routed, and a replay is exact. */
    @Test
    void theReferencesPrefixesAndActivationDistanceEditAndReplay() {
        EditRequest a = EditFixture.EDIT;
        Map<String, Object> hp = Map.of("context_template_lengths", List.of(5, 10), "activation_distance", true);
        try (AssociationState s = (AssociationState) engine.newState(); SpaceState r = engine.newState()) {
            LedgerUnit ua = EditFixture.unit(engine, s, "WISE", hp, EditMode.SINGLE, List.of(a), "a");
            s.apply(ua);
            assertTrue(s.score(a.prompt(), a.targetNew()).value().tokenAccuracy() >= 0.5, "edit routed to the side memory");
            assertEquals("gelu_new", s.wiseMemory(DOWN4).activation());
            r.apply(ua);
            assertArrayEquals(EditFixture.logProbs(s, a.prompt(), a.targetNew()), EditFixture.logProbs(r, a.prompt(), a.targetNew()));
        }
    }

    /**
     * EasyEdit's GPT-2 file wraps the up-projection ({@code mlp.c_fc}): the side memory is then [d_model, d_ff],
     * the edit is routed there, unrelated prompts are untouched and a replay is exact. A payload that names no
     * projection (written before the up-projection was accepted) applies to the down-projection, and a module
     * that is neither is refused.
     */
    @Test
    void theUpProjectionAsEasyEditsGpt2FileAndOldPayloadsOnTheDownProjection() {
        EditRequest a = EditFixture.EDIT;
        Map<String, Object> up = Map.of("inner_params", List.of("transformer.h[4].mlp.c_fc.weight"));
        try (AssociationState s = (AssociationState) engine.newState(); SpaceState base = engine.newState();
                AssociationState r = (AssociationState) engine.newState()) {
            LedgerUnit ua = EditFixture.unit(engine, s, "WISE", up, EditMode.SINGLE, List.of(a), "a");
            s.apply(ua);
            ModuleRef up4 = new ModuleRef(4, Projection.MLP_UP);
            assertEquals(up4, s.wiseMemory(up4).site());
            assertEquals(null, s.wiseMemory(DOWN4));
            assertTrue(s.score(a.prompt(), a.targetNew()).value().tokenAccuracy() >= 0.5, "edit routed to the side memory");
            for (String[] q : EditFixture.UNRELATED) {
                assertArrayEquals(EditFixture.argmax(base, q[0], q[1]), EditFixture.argmax(s, q[0], q[1]), q[0]);
            }
            r.apply(ua);
            assertArrayEquals(EditFixture.logProbs(s, a.prompt(), a.targetNew()), EditFixture.logProbs(r, a.prompt(), a.targetNew()));

            LedgerUnit down = EditFixture.unit(engine, base, "WISE", Map.of(), EditMode.SINGLE, List.of(a), "d");
            TensorPack pack = TensorPack.fromBytes(down.payload());
            assertEquals("MLP_DOWN", pack.get("projection"));
            TensorPack old = new TensorPack();
            pack.metadata().forEach((k, v) -> {
                if (!k.equals("projection")) {
                    old.put(k, v);
                }
            });
            pack.tensors().forEach((k, t) -> old.tensor(k, t.values(), t.shape()));
            try (AssociationState o = (AssociationState) engine.newState()) {
                o.apply(new LedgerUnit(List.of("d"), "WISE", down.hparams(), down.requests(), old.toBytes()));
                assertEquals(DOWN4, o.wiseMemory(DOWN4).site());
            }
            EditException attention = assertThrows(EditException.class, () -> EditFixture.unit(engine, s, "WISE",
                    Map.of("inner_params", List.of("transformer.h[4].attn.c_proj.weight")), EditMode.SINGLE, List.of(a), "x"));
            assertEquals("hparams.inner_params[0]", attention.field());
            assertTrue(attention.getMessage().contains("transformer.h[L].mlp.c_fc.weight"), attention.getMessage());
        }
    }

    /** The reference's prefixes: "{}", then per length one greedy continuation of each start word. */
    @Test
    void contextTemplatesAreTheBarePromptThenOneGreedyContinuationPerStartWordAndLength() {
        WiseEditor editor = new WiseEditor(engine.model());
        List<String> t = editor.contextTemplates(WiseEditor.REFERENCE_TEMPLATE_LENGTHS);
        assertEquals(11, t.size(), t.toString());
        assertEquals("{}", t.get(0));
        List<String> starts = List.of("I", "You", "Because", "Yes", "Q: ");
        for (int i = 1; i < t.size(); i++) {
            String x = t.get(i);
            assertTrue(x.startsWith(starts.get((i - 1) % 5)) && x.endsWith(" {}") && x.indexOf("{}") == x.length() - 2, x);
        }
        assertTrue(t.get(6).length() >= t.get(1).length(), "10 new tokens after \"I\" extend the 5: " + t);
        assertEquals(t, new WiseEditor(engine.model()).contextTemplates(List.of(5, 10)), "greedy and cached: the same list");
        assertEquals(List.of("{}"), editor.contextTemplates(List.of()));
    }

    /** Δ's per-position vector: act(out + side) − act(out) with the activation on (the reference's euc), else side. */
    @Test
    void theDistanceComparesTheOutputsAfterTheActivation() {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            float[] out = {-1.5f, 0.2f, 2.0f};
            float[] side = {0.5f, -0.4f, 1.0f};
            ai.djl.ndarray.NDArray o = m.create(out);
            ai.djl.ndarray.NDArray sd = m.create(side);
            assertArrayEquals(side, WiseEditor.distance(null, o, sd).toFloatArray());
            float[] d = WiseEditor.distance("gelu_new", o, sd).toFloatArray();
            for (int i = 0; i < 3; i++) {
                double expected = gelu(out[i] + side[i]) - gelu(out[i]);
                assertEquals(expected, d[i], 1e-5, "position " + i);
            }
            assertEquals("gelu_new", WiseEditor.distanceActivation(engine.model(),
                    dev.emend.core.edit.Hparams.resolve(engine.method("WISE"), Map.of())));
            assertEquals(null, WiseEditor.distanceActivation(engine.model(),
                    dev.emend.core.edit.Hparams.resolve(engine.method("WISE"), Map.of("activation_distance", false))));
        }
    }

    private static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }
}
