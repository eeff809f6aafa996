package dev.emend.association.adalora;

import dev.emend.association.engine.AssociationEngine;
import dev.emend.association.engine.AssociationMethod;
import dev.emend.association.engine.AssociationState;
import dev.emend.association.engine.TensorPack;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.Progress;
import dev.emend.core.runtime.LanguageModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * AdaLoRA (Zhang et al. 2023): an SVD-parametrised adapter per ledger unit over the frozen base
 * whose rank budget shrinks from init_r to target_r per matrix on average, the least important
 * singular-value triplets masked as it goes ({@link AdaLoraEditor}, {@link RankAllocator}); the
 * payload is the kept triplets, applied as one more hook.
 */
public final class AdaLoraMethod extends AssociationMethod {
    @Override
    public String name() {
        return "AdaLoRA";
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        List<HparamSpec> specs = new ArrayList<>(adapterTargetSpecs(lm));
        // built-in schedule values: PEFT's AdaLoraConfig defaults (what EasyEdit's lora_type: adalora gets)
        specs.addAll(List.of(
                i("init_r", 12, 1.0, 4096.0, "initial rank of every adapted matrix"),
                i("target_r", 8, 1.0, 4096.0, "average rank per matrix at the end of the budget schedule (<= init_r)"),
                i("tinit", 0, 0.0, null, "warm-up steps before the budget shrinks"),
                i("tfinal", 0, 0.0, null, "final steps at the target budget with a fixed rank pattern"),
                i("deltaT", 1, 1.0, null, "steps between two budget allocations"),
                f("beta1", 0.85, 1e-9, 1 - 1e-9, "EMA coefficient of the sensitivity |w·grad w|"),
                f("beta2", 0.85, 1e-9, 1 - 1e-9, "EMA coefficient of the sensitivity's uncertainty"),
                f("orth_reg_weight", 0.5, 0.0, null, "weight of the orthogonality regulariser on P and Q"),
                f("lora_alpha", 32.0, 1e-9, null, "scale α (the update is α/init_r · P Λ Q)"),
                f("lr", 5e-3, 1e-9, 10.0, "Adam learning rate"),
                i("num_steps", 30, 1.0, 10000.0, "training steps T of the schedule (early stop at loss < 1e-2 only once the"
                        + " final allocation is made)"),
                i("seed", 0, 0.0, null, "seed of the Gaussian P and Q initialisation")));
        return new MethodDescriptor(name(), "AdaLoRA: an SVD-parametrised adapter (P Λ Q) per ledger unit over the frozen base,"
                + " trained on the target tokens (FT-M objective) while its rank budget shrinks from init_r to target_r by"
                + " importance; rollback drops it", specs, Set.of(EditMode.SINGLE, EditMode.BATCH, EditMode.SEQUENTIAL), 256, false,
                "built-in");
    }

    @Override
    public String rollback() {
        return "the unit's adapter is dropped exactly; adapters trained after it were trained with it present";
    }

    @Override
    public void validate(AssociationEngine engine, Hparams hp, EditMode mode, List<EditRequest> requests) {
        new AdaLoraEditor(engine.model()).targets(AdaLoraHparams.of(hp));
    }

    @Override
    public ComputedEdit compute(AssociationEngine engine, AssociationState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        progress.report(name(), 0);
        double[] dg = new double[4];
        byte[] payload = new AdaLoraEditor(engine.model()).compute(s.view(), AdaLoraHparams.of(hp), requests, dg);
        List<Map<String, Double>> diags = new ArrayList<>();
        List<List<Note>> notes = new ArrayList<>();
        for (int k = 0; k < requests.size(); k++) {
            diags.add(diag("steps", dg[0], "loss_first", dg[1], "loss_last", dg[2], "rank_kept", dg[3]));
            notes.add(converged(dg[2], name()));
        }
        return edit(progress, payload, diags, notes);
    }

    @Override
    public void apply(AssociationState state, LedgerUnit unit) {
        state.addAdapter(AdaLoraAdapter.fromPack(TensorPack.fromBytes(unit.payload()), state.manager()));
    }
}
