package dev.emend.mastery.alphaedit;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.MasteryMethod;
import dev.emend.mastery.engine.MasteryState;
import dev.emend.mastery.memit.MemitMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * AlphaEdit (Fang et al. 2025): MEMIT's update projected onto the null space of the preserved keys'
 * second moment, solved against the keys of the space's earlier AlphaEdit edits
 * ({@link AlphaEditEditor}); the payload is the weight factors plus the edit's keys, which apply
 * adds to the space's {@link AlphaEditMemory}.
 */
public final class AlphaEditMethod extends MasteryMethod {
    @Override
    public String name() {
        return "AlphaEdit";
    }

    @Override
    public MethodDescriptor describe(int numLayers) {
        // MEMIT's specs without mom2_adjustment (C is always used), plus the projection's two
        List<HparamSpec> specs = new ArrayList<>(new MemitMethod().describe(numLayers).hparams());
        specs.removeIf(h -> h.name().equals("mom2_adjustment"));
        specs.add(HparamSpec.of("nullspace_threshold", HparamType.FLOAT, 0.1, 1e-12, 1e12,
                "eigenvalues of C below this span the null space the update is projected onto"));
        specs.add(HparamSpec.of("L2", HparamType.FLOAT, 1.0, 1e-12, 1e12, "α, the ridge of the projected solve"));
        return new MethodDescriptor(name(), "Null-space constrained editing (Fang et al. 2025): MEMIT's update projected "
                + "onto the null space of the preserved keys' second moment, solved against the keys of the space's "
                + "earlier AlphaEdit edits, so sequential edits disturb what is kept and each other less.", specs,
                Set.of(EditMode.SINGLE, EditMode.BATCH, EditMode.SEQUENTIAL), 0, false, "");
    }

    @Override
    protected List<List<Integer>> contextTemplates() {
        return MEMIT_CONTEXT_TEMPLATES;
    }

    @Override
    protected boolean locatesSubject() {
        return true;
    }

    private static AlphaEditHyperParams hyperParams(MasteryEngine engine, Hparams hp) {
        return new AlphaEditHyperParams(hp.getIntList("layers"), hp.getString("fact_token"), hp.getInt("v_num_grad_steps"),
                hp.getDouble("v_lr"), hp.getInt("v_loss_layer"), hp.getDouble("v_weight_decay"),
                hp.getDouble("clamp_norm_factor"), hp.getDouble("kl_factor"), hp.getDouble("mom2_update_weight"),
                hp.getInt("mom2_n_samples"), hp.getDouble("nullspace_threshold"), hp.getDouble("L2"), MEMIT_CONTEXT_TEMPLATES)
                .validate(engine.model().config());
    }

    @Override
    protected void checkHparams(MasteryEngine engine, Hparams hp) {
        hyperParams(engine, hp);
    }

    @Override
    public ComputedEdit compute(MasteryEngine engine, MasteryState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        AlphaEditHyperParams p = hyperParams(engine, hp);
        AlphaEditUpdate u = new AlphaEditEditor(engine.model(), p,
                l -> engine.projector(l, p.mom2NSamples(), p.nullspaceThreshold(), progress))
                .compute(s.view(), s.alphaEditMemory(), romeRequests(requests), progress);
        return layerEdit(u, u.weights(), requests.size(), p.vNumGradSteps(), false);
    }

    @Override
    public void apply(MasteryState state, LedgerUnit unit) {
        AlphaEditEditor.apply(state.overlay(), state.alphaEditMemory(), decode(unit, AlphaEditUpdate.class));
    }
}
