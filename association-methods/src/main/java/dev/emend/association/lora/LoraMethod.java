package dev.emend.association.lora;

import dev.emend.association.engine.AssociationEngine;
import dev.emend.association.engine.AssociationMethod;
import dev.emend.association.engine.AssociationState;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import dev.emend.core.runtime.LanguageModel;
import java.util.List;
import java.util.Set;
import dev.emend.association.engine.TensorPack;
import dev.emend.core.edit.Note;
import java.util.ArrayList;
import java.util.Map;

/**
 * LoRA: a low-rank adapter per ledger unit over the frozen base, trained on the target tokens
 * (FT-M objective) by {@link LoraEditor}; the payload is the adapter, applied as one more hook.
 */
public final class LoraMethod extends AssociationMethod {
    @Override
    public String name() {
        return "LoRA";
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        List<HparamSpec> specs = new ArrayList<>();
        specs.add(s("lora_type", "lora", List.of("lora"), "plain LoRA (EasyEdit's adalora is the AdaLoRA method)"));
        specs.addAll(adapterTargetSpecs(lm));
        specs.addAll(List.of(
                i("rank", 8, 1.0, 4096.0, "adapter rank r"),
                f("lora_alpha", 32.0, 1e-9, null, "scale α (the update is α/r · x A B)"),
                f("lr", 5e-3, 1e-9, 10.0, "Adam learning rate"),
                i("num_steps", 30, 1.0, 10000.0, "maximum training steps (early stop at loss < 1e-2)"),
                i("seed", 0, 0.0, null, "seed of the A initialisation")));
        return new MethodDescriptor(name(), "LoRA: a low-rank adapter per ledger unit over the frozen base, trained on the"
                + " target tokens (FT-M objective); rollback drops it", specs,
                Set.of(EditMode.SINGLE, EditMode.BATCH, EditMode.SEQUENTIAL), 256, false, "built-in");
    }

    @Override
    public String rollback() {
        return "the unit's adapter is dropped exactly; adapters trained after it were trained with it present";
    }

    @Override
    public void validate(AssociationEngine engine, Hparams hp, EditMode mode, List<EditRequest> requests) {
        new LoraEditor(engine.model()).targets(hp);
    }

    @Override
    public ComputedEdit compute(AssociationEngine engine, AssociationState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        progress.report(name(), 0);
        double[] dg = new double[6];
        byte[] payload = new LoraEditor(engine.model()).compute(s.view(), hp, requests, dg);
        List<Map<String, Double>> diags = new ArrayList<>();
        List<List<Note>> notes = new ArrayList<>();
        for (int k = 0; k < requests.size(); k++) {
            diags.add(diag("steps", dg[0], "loss_first", dg[1], "loss_last", dg[2], "nearest_key_distance", Double.NaN));
            notes.add(converged(dg[2], "LoRA"));
        }
        return edit(progress, payload, diags, notes);
    }

    @Override
    public void apply(AssociationState state, LedgerUnit unit) {
        state.addAdapter(LoraAdapter.fromPack(TensorPack.fromBytes(unit.payload()), state.manager()));
    }
}
