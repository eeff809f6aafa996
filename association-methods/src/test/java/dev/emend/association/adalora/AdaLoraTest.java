package dev.emend.association.adalora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.association.EditFixture;
import dev.emend.association.engine.AdapterTarget;
import dev.emend.association.engine.AssociationEngine;
import dev.emend.association.engine.AssociationState;
import dev.emend.association.engine.TensorPack;
import dev.emend.association.lora.LoraAdapter;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.SpaceState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdaLoraTest {
    static AssociationEngine engine;

    @BeforeAll
    static void setUp() {
        engine = EditFixture.engine();
    }

    @AfterAll
    static void tearDown() {
        engine.close();
    }

    private static AdaLoraAdapter adapter(LedgerUnit u, AssociationState s) {
        return AdaLoraAdapter.fromPack(TensorPack.fromBytes(u.payload()), s.manager());
    }

    @Test
    void editsTakeOnTheDefaultModelAndOtherFactsStay() {
        List<EditRequest> cases = List.of(EditFixture.EDIT, EditRequest.of("People in Syria speak", "Syria", "Greek"),
                EditRequest.of("Eritrea is a country in", "Eritrea", "Antarctica"));
        try (SpaceState base = engine.newState()) {
            for (EditRequest r : cases) {
                assertFalse(base.score(r.prompt(), r.targetNew()).value().allCorrect(), r.prompt());
                try (SpaceState s = engine.newState()) {
                    LedgerUnit u = EditFixture.unit(engine, s, "AdaLoRA", Map.of(), EditMode.SINGLE, List.of(r), "a");
                    s.apply(u);
                    assertTrue(s.score(r.prompt(), r.targetNew()).value().allCorrect(), r.prompt());
                    // other relations stay; the same relation of another person ("Gustav Ibarra was born in")
                    // need not: like LoRA's, the adapter generalises along the relation
                    for (String[] q : new String[][] {EditFixture.UNRELATED[0], EditFixture.UNRELATED[2]}) {
                        if (!q[0].startsWith(r.subject())) {
                            assertArrayEquals(EditFixture.argmax(base, q[0], q[1]), EditFixture.argmax(s, q[0], q[1]), q[0]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void theBudgetEndsAtTargetRankWithFewerParametersThanLoraAtTheInitialRank() {
        // two matrices per layer over two layers: the allocation can give them different ranks
        Map<String, Object> hp = Map.of("layers", List.of(2, 3), "target_modules", List.of("c_fc", "c_proj"), "init_r", 6,
                "target_r", 2, "tinit", 3, "tfinal", 8, "num_steps", 24, "lr", 0.05);
        EditRequest r = EditFixture.EDIT;
        try (AssociationState s = (AssociationState) engine.newState()) {
            LedgerUnit u = EditFixture.unit(engine, s, "AdaLoRA", hp, EditMode.SINGLE, List.of(r), "a");
            s.apply(u);
            assertTrue(s.score(r.prompt(), r.targetNew()).value().allCorrect());
            try (AdaLoraAdapter a = adapter(u, s)) {
                assertEquals(4, a.triplets().size());
                assertEquals(2 * 4, a.totalRank(), "target_r per matrix on average");
                List<AdapterTarget> targets = a.triplets().stream().map(AdaLoraAdapter.Triplets::target).toList();
                long lora = LoraAdapter.parameterCount(targets, 6);
                assertTrue(a.parameterCount() <= lora, a.parameterCount() + " > " + lora);
                assertEquals(a.parameterCount() * 4, a.footprintBytes());
                for (AdaLoraAdapter.Triplets t : a.triplets()) {
                    assertEquals(t.rank() * t.target().out(), t.p().length);
                    assertEquals(t.rank() * t.target().in(), t.q().length);
                    for (float l : t.lambda()) {
                        assertTrue(l != 0f, "kept singular values are not masked");
                    }
                }
            }
            // the defaults (one matrix, init_r 8 -> target_r 4) are at most LoRA's defaults (rank 8, same matrix)
            MethodDescriptor lora = engine.method("LoRA");
            AdaLoraHparams d = AdaLoraHparams.of(Hparams.defaults(engine.method("AdaLoRA")));
            List<AdapterTarget> loraTargets = AdapterTarget.resolve(engine.model(), Hparams.defaults(lora).getIntList("layers"),
                    Hparams.defaults(lora).getStringList("target_modules"));
            List<AdapterTarget> adaTargets = new AdaLoraEditor(engine.model()).targets(d);
            long adaParams = 0;
            for (AdapterTarget t : adaTargets) {
                adaParams += (long) d.targetR() * (t.in() + t.out() + 1);
            }
            assertTrue(adaParams <= LoraAdapter.parameterCount(loraTargets, Hparams.defaults(lora).getInt("rank")));
        }
    }

    @Test
    void batchEditsReplayToIdenticalOutputs() {
        EditRequest a = EditFixture.EDIT;
        EditRequest b = EditRequest.of("People in Syria speak", "Syria", "Greek");
        try (SpaceState s = engine.newState(); SpaceState replay = engine.newState()) {
            LedgerUnit u = EditFixture.unit(engine, s, "AdaLoRA", Map.of(), EditMode.BATCH, List.of(a, b), "a", "b");
            s.apply(u);
            assertTrue(s.score(a.prompt(), a.targetNew()).value().allCorrect());
            assertTrue(s.score(b.prompt(), b.targetNew()).value().allCorrect());
            // what a restart does: the stored unit's payload bytes, decoded and applied again
            byte[] stored = TensorPack.fromBytes(u.payload()).toBytes();
            assertArrayEquals(u.payload(), stored);
            replay.apply(new LedgerUnit(u.editIds(), u.method(), u.hparams(), u.requests(), stored));
            for (EditRequest r : List.of(a, b)) {
                assertArrayEquals(EditFixture.logProbs(s, r.prompt(), r.targetNew()), EditFixture.logProbs(replay, r.prompt(), r.targetNew()));
            }
            assertEquals(s.footprintBytes(), replay.footprintBytes());
        }
    }

    @Test
    void sequentialUnitsStackAndRollbackDropsOne() {
        EditRequest a = EditFixture.EDIT;
        EditRequest b = EditRequest.of("People in Syria speak", "Syria", "Greek");
        try (AssociationState s = (AssociationState) engine.newState(); AssociationState onlyA = (AssociationState) engine.newState()) {
            LedgerUnit ua = EditFixture.unit(engine, s, "AdaLoRA", Map.of(), EditMode.SEQUENTIAL, List.of(a), "a");
            s.apply(ua);
            LedgerUnit ub = EditFixture.unit(engine, s, "AdaLoRA", Map.of(), EditMode.SEQUENTIAL, List.of(b), "b");
            s.apply(ub);
            assertEquals(2, s.adapterCount());
            assertTrue(s.score(a.prompt(), a.targetNew()).value().allCorrect());
            assertTrue(s.score(b.prompt(), b.targetNew()).value().allCorrect());
            // rollback of b = the space rebuilt from the ledger without it
            onlyA.apply(ua);
            assertTrue(onlyA.score(a.prompt(), a.targetNew()).value().allCorrect());
            assertFalse(onlyA.score(b.prompt(), b.targetNew()).value().allCorrect());
        }
    }

    @Test
    void badHparamsAreRefusedWithTheirField() {
        MethodDescriptor m = engine.method("AdaLoRA");
        List<EditRequest> ok = List.of(EditFixture.EDIT);
        record Bad(Map<String, Object> hp, String field, String says) {}
        for (Bad bad : List.of(
                new Bad(Map.of("target_r", 12, "init_r", 8), "hparams.target_r", "exceeds init_r"),
                new Bad(Map.of("tinit", 20, "tfinal", 10, "num_steps", 30), "hparams.tinit", "tinit < num_steps - tfinal"),
                new Bad(Map.of("target_modules", List.of("q_proj")), "hparams.target_modules", "q_proj"),
                new Bad(Map.of("layers", List.of(9)), "hparams.layers[0]", "0..5"))) {
            EditException e = assertThrows(EditException.class, () -> engine.validate(m, Hparams.resolve(m, bad.hp()), EditMode.SINGLE, ok),
                    bad.toString());
            assertEquals(EditException.Reason.INVALID_ARGUMENT, e.reason());
            assertEquals(bad.field(), e.field(), e.getMessage());
            assertTrue(e.getMessage().contains(bad.says()), e.getMessage());
        }
        for (Map.Entry<String, Object> bad : List.of(Map.entry("beta1", (Object) 1.0), Map.entry("beta2", (Object) 0.0),
                Map.entry("orth_reg_weight", (Object) (-0.1)), Map.entry("init_r", (Object) 0), Map.entry("deltaT", (Object) 0))) {
            EditException e = assertThrows(EditException.class, () -> AdaLoraHparams.of(Hparams.resolve(m, Map.of(bad.getKey(),
                    bad.getValue()))), bad.toString());
            assertEquals("hparams." + bad.getKey(), e.field(), e.getMessage());
        }
        // the record checks its ranges itself too (stored hparams do not pass through the specs)
        EditException e = assertThrows(EditException.class, () -> new AdaLoraHparams(List.of(), List.of("c_proj"), 8, 4, 0, 0, 1, 1.0,
                0.85, 0.5, 32, 5e-3, 30, 0));
        assertEquals("hparams.beta1", e.field());
        assertTrue(e.getMessage().contains("between 0 and 1"), e.getMessage());
    }
}
