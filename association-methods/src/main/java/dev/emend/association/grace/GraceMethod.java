package dev.emend.association.grace;

import dev.emend.association.engine.AssociationEngine;
import dev.emend.association.engine.AssociationMethod;
import dev.emend.association.engine.AssociationState;
import dev.emend.association.engine.InnerParams;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.runtime.LanguageModel;
import java.util.List;
import java.util.Set;
import dev.emend.association.engine.TensorPack;

/**
 * GRACE (Hartvigsen et al. 2023): a codebook of (key, value, radius) at one layer; a query within a
 * key's radius gets that key's value. One request per ledger unit; the payload is the new or updated
 * codebook entry ({@link GraceEditor#compute}), applied with {@link GraceEditor#apply}.
 */
public final class GraceMethod extends AssociationMethod {
    @Override
    public String name() {
        return "GRACE";
    }

    /** The phase's default (./emend demo, ./emend edit without --method): reliable and quick on the default model. */
    @Override
    public boolean phaseDefault() {
        return true;
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        List<HparamSpec> specs = List.of(
                HparamSpec.of("inner_params", HparamType.STRING_LIST, List.of(downProj(lm, defaultLayer(lm))), null, null,
                        "the MLP projection the codebook wraps (one module): a layer's down-projection, or its"
                                + " up-projection as EasyEdit's GPT-2 file"),
                f("edit_lr", 1.0, 1e-6, 100.0, "Adam learning rate of the value vector (reference: 1.0)"),
                i("n_iter", 100, 1.0, 10000.0, "maximum value-training steps (early stop at loss < 1e-2)"),
                f("eps", 1.0, 0.0, null, "initial deferral radius of a new key, in dist_fn units"),
                s("dist_fn", "euc", List.of("euc", "cos"), "key distance: Euclidean or 1 − cosine"),
                s("val_init", "cold", List.of("cold", "warm"), "value start: U[0,1) (cold) or the layer's output (warm)"),
                s("replacement", "replace_last", List.of("replace_last", "replace_all", "replace_prompt"),
                        "which positions a match replaces"),
                s("eps_expand", "coverage", List.of("coverage", "moving_average"),
                        "same-label key just outside its radius: grow the radius (coverage) or also move the key halfway"));
        return new MethodDescriptor(name(), "GRACE: a codebook of (key, value, radius) at one layer; a query within a key's"
                + " radius gets that key's value (Hartvigsen et al. 2023)", specs,
                Set.of(EditMode.SINGLE, EditMode.SEQUENTIAL), 1, false, "built-in");
    }

    @Override
    public String rollback() {
        return "rebuild: the entry the edit created disappears; a later edit that split its radius keeps its "
                + "halved radius, one that only expanded or retrained it becomes a new entry with the initial radius";
    }

    @Override
    public void validate(AssociationEngine engine, Hparams hp, EditMode mode, List<EditRequest> requests) {
        site(engine, hp);
    }

    @Override
    public ComputedEdit compute(AssociationEngine engine, AssociationState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        progress.report(name(), 0);
        requireOne(requests);
        LanguageModel lm = engine.model();
        double[] dg = new double[6];
        byte[] payload = new GraceEditor(lm).compute(s.view(), s.codebook(site(engine, hp)), hp, requests.get(0), dg);
        return edit(progress, payload, List.of(diag("steps", dg[0], "loss_first", dg[1], "loss_last", dg[2],
                "nearest_key_distance", dg[3])), List.of(converged(dg[2], GraceEditor.class.getSimpleName())));
    }

    @Override
    public void apply(AssociationState state, LedgerUnit unit) {
        TensorPack pack = TensorPack.fromBytes(unit.payload());
        ModuleRef site = InnerParams.site(pack);
        LinearRef wrapped = state.model().model().linear(site.layer(), site.projection());
        GraceCodebook cb = state.codebook(site, l -> new GraceCodebook(l, pack.get("dist_fn"), pack.get("replacement"),
                wrapped.inFeatures(), wrapped.outFeatures(), state.manager()));
        GraceEditor.apply(cb, pack, unit.editIds().get(0), unit.hparams().getDouble("eps"));
    }
}
