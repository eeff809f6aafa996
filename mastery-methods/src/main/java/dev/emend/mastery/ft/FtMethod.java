package dev.emend.mastery.ft;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.Progress;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.MasteryMethod;
import dev.emend.mastery.engine.MasteryState;
import dev.emend.mastery.engine.UpdateCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * FT-L and FT-M: fine-tuning of MLP down-projections with Adam ({@link FtEditor}); the payload is
 * each changed matrix's dense delta. The two differ in their loss and in FT-L's norm constraint.
 */
public abstract class FtMethod extends MasteryMethod {
    /** {@code prompt_last} (FT-L) or {@code target_new} (FT-M): where the loss is read. */
    protected abstract String objective();

    /** The elementwise clamp around W₀ (FT-M has none). */
    protected abstract double normConstraint(Hparams hp);

    protected abstract String description();

    /** FT-L's specs; FT-M drops {@code norm_constraint}. */
    protected static List<HparamSpec> specs(int numLayers) {
        return List.of(
                HparamSpec.of("layers", HparamType.INT_LIST, List.of(0), 0.0, numLayers - 1.0, "layers whose MLP down-projection is fine-tuned"),
                HparamSpec.of("num_steps", HparamType.INT, 25, 1.0, 10_000.0, "Adam steps"),
                HparamSpec.of("lr", HparamType.FLOAT, 5e-4, 1e-9, 10.0, "Adam learning rate"),
                HparamSpec.of("norm_constraint", HparamType.FLOAT, 5e-4, 0.0, 1e6, "W stays within W₀ ± this, elementwise (0 = none)"),
                HparamSpec.of("batch_size", HparamType.INT, 1, 1.0, 100_000.0, "requests per Adam step"));
    }

    protected MethodDescriptor descriptor(List<HparamSpec> specs) {
        return new MethodDescriptor(name(), description(), specs,
                Set.of(EditMode.SINGLE, EditMode.BATCH, EditMode.SEQUENTIAL), 0, false, "");
    }

    @Override
    protected boolean locatesSubject() {
        return false;
    }

    private FtHyperParams hyperParams(MasteryEngine engine, Hparams hp) {
        return new FtHyperParams(hp.getIntList("layers"), hp.getInt("num_steps"), hp.getDouble("lr"),
                normConstraint(hp), objective(), hp.getInt("batch_size")).validate(engine.model().config());
    }

    @Override
    protected void checkHparams(MasteryEngine engine, Hparams hp) {
        hyperParams(engine, hp);
    }

    @Override
    public ComputedEdit compute(MasteryEngine engine, MasteryState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        FtHyperParams p = hyperParams(engine, hp);
        List<FtRequest> rs = requests.stream().map(r -> new FtRequest(r.prompt(), r.targetNew())).toList();
        FtUpdate u = new FtEditor(engine.model(), p).withProgress(progress).compute(s.view(), rs);
        List<Map<String, Double>> diagnostics = new ArrayList<>();
        List<List<Note>> notes = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            Map<String, Double> d = new LinkedHashMap<>();
            d.put("steps", (double) u.steps());
            d.put("initial_loss", u.initialLoss());
            d.put("final_loss", u.finalLoss());
            diagnostics.add(d);
            notes.add(List.of());
        }
        return new ComputedEdit(name(), UpdateCodec.encode(u), notes, diagnostics, List.of());
    }

    @Override
    public void apply(MasteryState state, LedgerUnit unit) {
        FtEditor.apply(state.overlay(), decode(unit, FtUpdate.class));
    }
}
