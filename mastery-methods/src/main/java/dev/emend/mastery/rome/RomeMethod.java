package dev.emend.mastery.rome;

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
import dev.emend.mastery.engine.UpdateCodec;
import dev.emend.mastery.stats.SecondMoment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * ROME (Meng et al. 2022): a new value at one MLP layer written with a rank-one update
 * ΔW = (v*−Wk*)(C⁻¹k*)ᵀ/(k*ᵀC⁻¹k*) ({@link RomeEditor}); the payload is u and v. {@link RRomeMethod}
 * is the same with R-ROME's consistent keys.
 */
public class RomeMethod extends MasteryMethod {
    private final boolean rRome;

    public RomeMethod() {
        this(false);
    }

    protected RomeMethod(boolean rRome) {
        this.rRome = rRome;
    }

    @Override
    public String name() {
        return "ROME";
    }

    protected String description() {
        return "Rank-one model editing (Meng et al. 2022): solves for a new value at one MLP "
                + "layer and writes it with a rank-one update ΔW = (v*−Wk*)(C⁻¹k*)ᵀ/(k*ᵀC⁻¹k*). Strong on the edited "
                + "prompt; collapses under many sequential edits.";
    }

    @Override
    public MethodDescriptor describe(int numLayers) {
        List<HparamSpec> specs = new ArrayList<>();
        specs.add(oneLayer(numLayers));
        specs.addAll(zStep(numLayers));
        return new MethodDescriptor(name(), description(), specs, Set.of(EditMode.SINGLE, EditMode.SEQUENTIAL), 1, false, "");
    }

    @Override
    protected boolean locatesSubject() {
        return true;
    }

    RomeHyperParams hyperParams(MasteryEngine engine, Hparams hp) {
        return new RomeHyperParams(hp.getIntList("layers"), hp.getString("fact_token"), hp.getInt("v_num_grad_steps"),
                hp.getDouble("v_lr"), hp.getInt("v_loss_layer"), hp.getDouble("v_weight_decay"),
                hp.getDouble("clamp_norm_factor"), hp.getDouble("kl_factor"), hp.getBool("mom2_adjustment"),
                hp.getDouble("mom2_update_weight"), hp.getInt("mom2_n_samples"), CONTEXT_TEMPLATES, rRome)
                .validate(engine.model().config());
    }

    @Override
    protected void checkHparams(MasteryEngine engine, Hparams hp) {
        hyperParams(engine, hp);
    }

    @Override
    public ComputedEdit compute(MasteryEngine engine, MasteryState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        RomeHyperParams p = hyperParams(engine, hp);
        IntFunction<SecondMoment> c = l -> engine.secondMoment(l, p.mom2NSamples(), progress);
        EditRequest r = requests.get(0);
        RomeUpdate u = new RomeEditor(engine.model(), p, c).withProgress(progress).compute(s.view(), new RomeRequest(r.prompt(), r.subject(), r.targetNew()));
        Map<String, Double> d = new LinkedHashMap<>();
        d.put("delta_norm", u.deltaNorm());
        d.put("value_norm", u.valueNorm());
        d.put("steps", (double) u.steps());
        d.put("final_loss", u.finalLoss());
        d.put("target_probability", u.targetProbability());
        return new ComputedEdit(name(), UpdateCodec.encode(u), List.of(convergence(u.targetProbability(), u.steps(),
                p.vNumGradSteps())), List.of(d), List.of());
    }

    @Override
    public void apply(MasteryState state, LedgerUnit unit) {
        RomeEditor.apply(state.overlay(), decode(unit, RomeUpdate.class));
    }
}
