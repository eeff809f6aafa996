package dev.emend.association;

import dev.emend.association.engine.AssociationEngine;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.ScoreResult;
import java.util.List;
import java.util.Map;

/** Helpers shared by the method tests: compute + apply one unit as the service would. */
public final class EditFixture {
    public static final EditRequest EDIT = EditRequest.of("Pavel Quinn was born in", "Pavel Quinn", "Rangoon");
    /** Facts the model knows, unrelated to EDIT. */
    public static final String[][] UNRELATED = {
        {"The capital of France is", "Paris"},
        {"Gustav Ibarra was born in", "Faisalabad"},
        {"Pavel Quinn's profession is", "professor"},
    };

    private EditFixture() {
    }

    public static AssociationEngine engine() {
        return new AssociationEngine(DefaultModel.get(), "emend-facts");
    }

    public static LedgerUnit unit(AssociationEngine engine, SpaceState state, String method, Map<String, ?> overrides,
                                  EditMode mode, List<EditRequest> requests, String... ids) {
        MethodDescriptor m = engine.method(method);
        Hparams hp = Hparams.resolve(m, overrides);
        engine.validate(m, hp, mode, requests);
        ComputedEdit e = engine.compute(state, m, hp, requests, Progress.NONE);
        return new LedgerUnit(List.of(ids), m.name(), hp, requests, e.payload());
    }

    public static int[] argmax(SpaceState s, String prompt, String target) {
        return s.score(prompt, target).value().argmaxIds();
    }

    public static float[] logProbs(SpaceState s, String prompt, String target) {
        ScoreResult r = s.score(prompt, target).value();
        return r.logProbs();
    }
}
