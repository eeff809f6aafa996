package dev.emend.mastery.mend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.DefaultModel;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.MasteryState;
import dev.emend.mastery.engine.UpdateCodec;
import dev.emend.mastery.memit.MemitUpdate;
import dev.emend.mastery.stats.CovarianceCache;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MEND on the default model: a short training (40 steps) must lower the post-edit NLL of held-out
 * edits below the untrained (identity) editor's; the editor file round-trips exactly; a missing,
 * foreign or differently-shaped editor is refused with the command to run; hparams are checked; an
 * edit's payload replays to identical weights.
 */
class MendEditorTest {
    @TempDir
    static Path dir;

    private static LanguageModel lm;
    private static MendHyperParams hp;
    private static MendNetwork trained;
    private static Path editorFile;
    private static List<MendTrainer.Case> held;

    @BeforeAll
    static void train() {
        lm = DefaultModel.load();
        editorFile = dir.resolve("editor.safetensors");
        hp = params(40, editorFile.toString());
        Path root = Path.of("").toAbsolutePath().getParent();
        List<List<MendTrainer.Case>> split = MendTrainer.holdOut(
                MendTrainer.readCases(root.resolve("benchmarks/emend-facts/zsre-train.json")), 0.05);
        held = split.get(1);
        trained = new MendTrainer(lm).train(MendNetwork.initial(lm.model(), hp), split.get(0), List.of(), editorFile,
                Map.of("note", "test"), r -> { });
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static MendHyperParams params(int iters, String editor) {
        return new MendHyperParams(List.of(4, 5), List.of(Projection.MLP_UP, Projection.MLP_DOWN), 1, 1920, "id", true, true,
                1e-4, 1e-4, 1e-4, 1.0, 0.1, 1.0, iters, 5, 100, 42, 1000, 0, editor);
    }

    @Test
    void trainingLowersThePostEditNllBelowTheUntrainedEditor() {
        MendTrainer t = new MendTrainer(lm);
        // The untrained editor needs statistics to normalise with: the trained one's, so only the networks differ.
        MendNetwork untrained = MendEditorFile.read(editorFile, lm, hp);
        MendNetwork fresh = MendNetwork.initial(lm.model(), hp);
        untrained.params().putAll(fresh.params());
        MendTrainer.Validation before = t.validate(untrained, held);
        MendTrainer.Validation after = t.validate(trained, held);
        assertTrue(after.editNll() < 0.5 * before.editNll(), "post-edit NLL " + after.editNll() + " vs untrained " + before.editNll());
        assertTrue(after.editSucc() > before.editSucc(), after + " vs " + before);
        assertEquals(40, trained.steps());
    }

    @Test
    void editorFileRoundTripsExactly() {
        MendNetwork back = MendEditorFile.read(editorFile, lm, hp);
        assertEquals(trained.params().keySet(), back.params().keySet());
        for (String name : trained.params().keySet()) {
            assertArrayEquals(trained.params().get(name), back.params().get(name), name);
        }
        assertEquals(trained.steps(), back.steps());
        List<String[]> edit = List.<String[]>of(new String[] {held.get(0).prompt(), held.get(0).target()});
        MemitUpdate a = new MendEditor(lm, trained).edit(lm.baseView(), edit, 1.0).update();
        MemitUpdate b = new MendEditor(lm, back).edit(lm.baseView(), edit, 1.0).update();
        assertEquals(a.layers().size(), b.layers().size());
        for (int i = 0; i < a.layers().size(); i++) {
            // Statistics are stored as float32, so the normalisation may differ in the last bits.
            float[] x = a.layers().get(i).a();
            float[] y = b.layers().get(i).a();
            for (int k = 0; k < x.length; k++) {
                assertEquals(x[k], y[k], 1e-4 * Math.abs(x[k]) + 1e-9, "A of " + i);
            }
        }
        assertEquals("test", MendEditorFile.metadata(editorFile).get("note"));
        assertEquals(lm.fingerprint(), MendEditorFile.metadata(editorFile).get("fingerprint"));
    }

    @Test
    void missingForeignOrMisshapenEditorsAreRefusedWithTheCommandToRun() {
        Path missing = dir.resolve("none.safetensors");
        EditException e = assertThrows(EditException.class, () -> MendEditorFile.read(missing, lm, hp));
        assertEquals(EditException.Reason.FAILED_PRECONDITION, e.reason());
        assertTrue(e.getMessage().contains("./emend train-mend --model " + lm.directory()), e.getMessage());

        Path foreign = dir.resolve("foreign.safetensors");
        MendEditorFile.write(foreign, "sha256:0000000000000000", "other-model", trained, Map.of());
        e = assertThrows(EditException.class, () -> MendEditorFile.read(foreign, lm, hp));
        assertEquals(EditException.Reason.FAILED_PRECONDITION, e.reason());
        assertTrue(e.getMessage().contains("trained for model sha256:0000000000000000 (other-model)"), e.getMessage());
        assertTrue(e.getMessage().contains("./emend train-mend"), e.getMessage());

        MendHyperParams otherLayers = new MendHyperParams(List.of(3, 5), hp.projections(), 1, 1920, "id", true, true, 1e-4, 1e-4,
                1e-4, 1, 0.1, 1, 1, 1, 100, 42, 1, 0, editorFile.toString());
        e = assertThrows(EditException.class, () -> MendEditorFile.read(editorFile, lm, otherLayers));
        assertEquals("hparams.layers", e.field());
        assertTrue(e.getMessage().contains("layers = [4, 5]"), e.getMessage());
    }

    @Test
    void hparamsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new MendHyperParams(List.of(), hp.projections(), 1, 1, "id", true,
                true, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, "x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MendHyperParams(List.of(1),
                hp.projections(), 1, 1, "gaussian", true, true, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, "x"));
        assertTrue(e.getMessage().startsWith("init:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MendHyperParams(List.of(1), hp.projections(), 1, 1, "id",
                true, true, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, "x"));
        assertTrue(e.getMessage().startsWith("cedit, cloc"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MendHyperParams.projection("attn_out"));
        assertTrue(e.getMessage().contains("mlp_up, mlp_gate or mlp_down"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> hp.validate(lm.config(), List.of(Projection.MLP_DOWN)));
        assertTrue(e.getMessage().contains("no mlp_up"), e.getMessage());
        MendHyperParams deep = new MendHyperParams(List.of(99), hp.projections(), 1, 1, "id", true, true, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                1, 0, "x");
        e = assertThrows(IllegalArgumentException.class, () -> deep.validate(lm.config(), lm.model().projections()));
        assertTrue(e.getMessage().contains("99 is outside"), e.getMessage());
    }

    @Test
    void theMethodEditsThroughTheEngineAndReplaysIdentically() {
        MasteryEngine engine = new MasteryEngine(lm, "emend-facts", new CovarianceCache(dir.resolve("stats")), List.of());
        MethodDescriptor d = MasteryEngine.methodsWithDefaults(lm, "emend-facts").stream().filter(m -> m.name().equals("MEND"))
                .findFirst().orElseThrow();
        Map<String, Object> overrides = Map.of("layers", List.of(4, 5), "editor", editorFile.toString());
        Hparams h = Hparams.resolve(d, overrides);
        MendTrainer.Case c = held.get(0);
        List<EditRequest> requests = List.of(EditRequest.of(c.prompt(), c.subject(), c.target()));
        engine.validate(d, h, EditMode.SINGLE, requests);

        Hparams missing = Hparams.resolve(d, Map.of("layers", List.of(4, 5), "editor", dir.resolve("nope.safetensors").toString()));
        EditException e = assertThrows(EditException.class, () -> engine.validate(d, missing, EditMode.SINGLE, requests));
        assertEquals(EditException.Reason.FAILED_PRECONDITION, e.reason());
        assertThrows(EditException.class, () -> engine.validate(d, Hparams.resolve(d, Map.of("init", "gaussian")), EditMode.SINGLE,
                requests));
        e = assertThrows(EditException.class, () -> Hparams.resolve(d, Map.of("lr_scale", 1e-7)));
        assertEquals("hparams.lr_scale", e.field());
        e = assertThrows(EditException.class, () -> engine.validate(d, Hparams.resolve(d, Map.of("layers", List.of(4, 5),
                "editor", editorFile.toString(), "projections", List.of("mlp_down"))), EditMode.SINGLE, requests));
        assertEquals("hparams.projections", e.field());

        try (MasteryState a = (MasteryState) engine.newState(); MasteryState b = (MasteryState) engine.newState()) {
            ComputedEdit edit = engine.compute(a, d, h, requests, Progress.NONE);
            MemitUpdate u = (MemitUpdate) UpdateCodec.decode(edit.payload());
            assertEquals("MEND", u.method());
            assertEquals(4, u.layers().size());
            assertTrue(edit.diagnostics().get(0).get("delta_norm") > 0);
            LedgerUnit unit = new LedgerUnit(List.of("e1"), "MEND", h, requests, edit.payload());
            double before = a.score(c.prompt(), c.target()).value().sumLogProb();
            a.apply(unit);
            b.apply(unit);
            double after = a.score(c.prompt(), c.target()).value().sumLogProb();
            assertTrue(after > before, "log P(target) " + before + " -> " + after);
            for (MendNetwork.Target t : trained.targets()) {
                String w = t.ref().weight();
                assertTrue(a.overlay().replacedNames().contains(w), w);
                assertArrayEquals(a.overlay().get(w).toType(DataType.FLOAT32, false).toFloatArray(),
                        b.overlay().get(w).toType(DataType.FLOAT32, false).toFloatArray(), w);
            }
        }
    }
    @Test
    void aBatchEditMovesEveryRequestAndSequentialEditsStack() {
        MasteryEngine engine = new MasteryEngine(lm, "emend-facts", new CovarianceCache(dir.resolve("stats")), List.of());
        MethodDescriptor d = MasteryEngine.methodsWithDefaults(lm, "emend-facts").stream().filter(m -> m.name().equals("MEND"))
                .findFirst().orElseThrow();
        Hparams h = Hparams.resolve(d, Map.of("layers", List.of(4, 5), "editor", editorFile.toString()));
        List<EditRequest> two = held.subList(1, 3).stream().map(c -> EditRequest.of(c.prompt(), c.subject(), c.target())).toList();
        engine.validate(d, h, EditMode.BATCH, two);
        try (MasteryState s = (MasteryState) engine.newState()) {
            double[] before = two.stream().mapToDouble(r -> s.score(r.prompt(), r.targetNew()).value().sumLogProb()).toArray();
            ComputedEdit batch = engine.compute(s, d, h, two, Progress.NONE);
            s.apply(new LedgerUnit(List.of("b1", "b2"), "MEND", h, two, batch.payload()));
            for (int i = 0; i < two.size(); i++) {
                double after = s.score(two.get(i).prompt(), two.get(i).targetNew()).value().sumLogProb();
                assertTrue(after > before[i], "request " + i + ": " + before[i] + " -> " + after);
            }
            // Sequential: the next edit is computed on the edited overlay and stacks on it.
            MendTrainer.Case c = held.get(3);
            List<EditRequest> next = List.of(EditRequest.of(c.prompt(), c.subject(), c.target()));
            double prior = s.score(c.prompt(), c.target()).value().sumLogProb();
            ComputedEdit third = engine.compute(s, d, h, next, Progress.NONE);
            s.apply(new LedgerUnit(List.of("e3"), "MEND", h, next, third.payload()));
            assertTrue(s.score(c.prompt(), c.target()).value().sumLogProb() > prior);
        }
    }
}
