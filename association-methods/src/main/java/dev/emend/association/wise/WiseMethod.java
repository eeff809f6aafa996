package dev.emend.association.wise;

import dev.emend.association.engine.AssociationEngine;
import dev.emend.association.engine.AssociationMethod;
import dev.emend.association.engine.AssociationState;
import dev.emend.association.engine.InnerParams;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
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
 * WISE (Wang et al. 2024): a side copy of one layer's MLP projection (down, or up), edited in masked shards and
 * chosen per input by an activation router. One request per ledger unit; the payload is the shard's
 * update ({@link WiseEditor#compute}), applied with {@link WiseEditor#apply}.
 */
public final class WiseMethod extends AssociationMethod {
    @Override
    public String name() {
        return "WISE";
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        List<HparamSpec> specs = List.of(
                HparamSpec.of("inner_params", HparamType.STRING_LIST, List.of(downProj(lm, defaultLayer(lm))), null, null,
                        "the MLP projection copied as side memory (one module): a layer's down-projection, or its"
                                + " up-projection as EasyEdit's GPT-2 file"),
                f("edit_lr", 1.0, 1e-6, 100.0, "SGD learning rate of the side memory"),
                i("n_iter", 70, 1.0, 10000.0, "maximum training steps per edit"),
                HparamSpec.of("context_template_lengths", HparamType.INT_LIST, WiseEditor.REFERENCE_TEMPLATE_LENGTHS, 1.0, 64.0,
                        "the edit is also trained after prefixes the model writes: per length, one greedy continuation"
                                + " of each of \"I\", \"You\", \"Because\", \"Yes\", \"Q: \" (the reference's [[5, 5], [10, 5]]);"
                                + " [] trains the bare prompt only"),
                f("mask_ratio", 0.2, 1e-4, 1.0, "fraction of side-memory entries a shard's random gradient mask opens"),
                f("norm_constraint", 1.0, 1e-9, null, "clamp W_v′ to W_v ± this, elementwise"),
                new HparamSpec("act_margin", HparamType.FLOAT_LIST, List.of(5.0, 20.0, 10.0), 0.0, null, List.of(),
                        "α, β, γ of the routing margins: Δ(irrelevant) < α, Δ(edit) > β, Δ(edit) − Δ(irrelevant) > γ"),
                HparamSpec.of("activation_distance", HparamType.BOOL, true, null, null,
                        "Δ compares act(out + x·D) with act(out), act the model's MLP activation (the reference's euc);"
                                + " false: the plain ‖x·D‖"),
                f("act_ratio", 0.88, 1e-6, 10.0, "router threshold = act_ratio × the smallest in-scope Δ of the edits"),
                i("save_freq", 500, 1.0, null, "edits per shard (a new random mask each shard)"),
                i("merge_freq", 1000, 1.0, null, "shards are merged (TIES) every merge_freq edits; a multiple of save_freq"),
                s("merge_alg", "ties", List.of("ties"), "shard merging algorithm"),
                f("densities", 0.53, 0.0, 1.0, "TIES: fraction of each shard's largest entries kept"),
                f("weights", 1.0, 1e-9, null, "TIES: total weight of the merged shards"),
                HparamSpec.of("retrieve", HparamType.BOOL, true, null, null,
                        "WISE-Retrieve (merged groups kept apart, routed by top Δ) instead of WISE-Merge (one merged memory)"),
                s("objective_optimization", "only_label", List.of("only_label"), "loss on the target tokens only"),
                i("seed", 0, 0.0, null, "seed of the shards' gradient masks"));
        return new MethodDescriptor(name(), "WISE: a side copy of one layer's down-projection, edited in masked shards and"
                + " chosen per input by an activation router (Wang et al. 2024)", specs,
                Set.of(EditMode.SINGLE, EditMode.SEQUENTIAL), 1, false, "built-in");
    }

    @Override
    public String rollback() {
        return "rebuild: the edit's masked delta is removed and the shards and TIES merges are recomputed from the "
                + "remaining deltas; its influence on later edits of the same shard stays, and later shard boundaries "
                + "shift by one edit";
    }

    @Override
    public void validate(AssociationEngine engine, Hparams hp, EditMode mode, List<EditRequest> requests) {
        site(engine, hp);
        if (hp.getDoubleList("act_margin").size() != 3) {
            throw EditException.invalid("hparams.act_margin", "give three margins [α, β, γ], e.g. [5.0, 20.0, 10.0]");
        }
        if (hp.getInt("merge_freq") % hp.getInt("save_freq") != 0) {
            throw EditException.invalid("hparams.merge_freq", "merge_freq " + hp.getInt("merge_freq")
                    + " must be a multiple of save_freq " + hp.getInt("save_freq"));
        }
    }

    @Override
    public ComputedEdit compute(AssociationEngine engine, AssociationState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        progress.report(name(), 0);
        requireOne(requests);
        LanguageModel lm = engine.model();
        double[] dg = new double[6];
        ModuleRef site = site(engine, hp);
        byte[] payload = new WiseEditor(lm).compute(s.viewWithoutWise(site), s.wiseMemory(site), hp, requests.get(0), dg);
        return edit(progress, payload, List.of(diag("steps", dg[0], "loss_first", dg[1], "loss_last", dg[2],
                "edit_activation", dg[3], "ce_last", dg[4], "margin_loss_last", dg[5])), List.of(converged(dg[2], "WISE")));
    }

    @Override
    public void apply(AssociationState state, LedgerUnit unit) {
        TensorPack pack = TensorPack.fromBytes(unit.payload());
        ModuleRef site = InnerParams.site(pack);
        LinearRef wrapped = state.model().model().linear(site.layer(), site.projection());
        WiseMemory mem = state.wiseMemory(site, l -> new WiseMemory(l, wrapped.inFeatures(), wrapped.outFeatures(),
                unit.hparams().getBool("retrieve"),
                unit.hparams().getDouble("act_ratio"), WiseEditor.distanceActivation(state.model(), unit.hparams()),
                state.manager()));
        WiseEditor.apply(mem, pack, unit.hparams());
    }
}
