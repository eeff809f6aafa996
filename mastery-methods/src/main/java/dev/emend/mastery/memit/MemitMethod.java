package dev.emend.mastery.memit;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.MasteryMethod;
import dev.emend.mastery.engine.MasteryState;
import dev.emend.mastery.stats.SecondMoment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * MEMIT (Meng et al. 2023): one batch of edits spread over several MLP layers by a least-squares
 * update against C ({@link MemitEditor}); the payload is each layer's low-rank factors.
 */
public final class MemitMethod extends MasteryMethod {
    @Override
    public String name() {
        return "MEMIT";
    }

    @Override
    public MethodDescriptor describe(int numLayers) {
        List<HparamSpec> specs = new ArrayList<>();
        specs.add(layers(numLayers));
        specs.addAll(zStep(numLayers));
        return new MethodDescriptor(name(), "Mass-editing memory in a transformer (Meng et al. 2023): one batch of edits "
                + "spread over several MLP layers by a least-squares update against C.", specs,
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

    static MemitHyperParams hyperParams(MasteryEngine engine, Hparams hp) {
        return new MemitHyperParams(hp.getIntList("layers"), hp.getString("fact_token"), hp.getInt("v_num_grad_steps"),
                hp.getDouble("v_lr"), hp.getInt("v_loss_layer"), hp.getDouble("v_weight_decay"),
                hp.getDouble("clamp_norm_factor"), hp.getDouble("kl_factor"), hp.getBool("mom2_adjustment"),
                hp.getDouble("mom2_update_weight"), hp.getInt("mom2_n_samples"), MEMIT_CONTEXT_TEMPLATES)
                .validate(engine.model().config());
    }

    @Override
    protected void checkHparams(MasteryEngine engine, Hparams hp) {
        hyperParams(engine, hp);
    }

    @Override
    public ComputedEdit compute(MasteryEngine engine, MasteryState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        MemitHyperParams p = hyperParams(engine, hp);
        IntFunction<SecondMoment> c = l -> engine.secondMoment(l, p.mom2NSamples(), progress);
        MemitUpdate u = new MemitEditor(engine.model(), p, c).compute(s.view(), romeRequests(requests), progress);
        return layerEdit(u, u, requests.size(), p.vNumGradSteps(), true);
    }

    @Override
    public void apply(MasteryState state, LedgerUnit unit) {
        MemitEditor.apply(state.overlay(), decode(unit, MemitUpdate.class));
    }
}
