package dev.emend.mastery.kn;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
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
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.memit.MemitUpdate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KN, knowledge neurons (Dai et al. 2022) as EasyEdit runs it ({@link KnEditor}): integrated-gradient
 * attribution of the ground truth to MLP neurons, then each selected neuron's value vector moved
 * from the current prediction's embedding to the target's. One request per unit (EasyEdit edits
 * {@code request[0]}); the payload is a rank-one delta per touched layer (a {@link MemitUpdate}).
 */
public final class KnMethod extends MasteryMethod {
    @Override
    public String name() {
        return "KN";
    }

    @Override
    public MethodDescriptor describe(int numLayers) {
        List<HparamSpec> specs = List.of(
                HparamSpec.of("steps", HparamType.INT, 20, 1.0, 1000.0, "integrated-gradient steps (activation scaled by linspace(0, 1, steps))"),
                HparamSpec.of("batch_size", HparamType.INT, 20, 1.0, 1000.0, "scaled copies per forward pass; must divide steps"),
                HparamSpec.of("adaptive_threshold", HparamType.FLOAT, 0.2, 1e-6, 1.0, "neurons above this fraction of the largest attribution are selected"),
                HparamSpec.of("p", HparamType.FLOAT, 0.4, 0.0, 0.999, "with refine: share of prompts a neuron must appear in"),
                HparamSpec.of("refine", HparamType.BOOL, false, null, null, "keep only neurons shared by more than p of the prompts"));
        return new MethodDescriptor(name(), "Knowledge neurons (Dai et al. 2022): integrated-gradient attribution of the "
                + "old answer to MLP neurons, then the selected neurons' value vectors moved from the old answer's "
                + "embedding to the new target's.", specs, Set.of(EditMode.SINGLE, EditMode.SEQUENTIAL), 1, false, "");
    }

    @Override
    protected boolean locatesSubject() {
        return false;
    }

    private static KnHyperParams hyperParams(Hparams hp) {
        return new KnHyperParams(hp.getInt("steps"), hp.getInt("batch_size"), hp.getDouble("adaptive_threshold"),
                hp.getDouble("p"), hp.getBool("refine"));
    }

    @Override
    protected void checkHparams(MasteryEngine engine, Hparams hp) {
        hyperParams(hp);
    }

    @Override
    protected void checkRequest(EditRequest r, String at) {
        if (r.groundTruth().isEmpty() || r.groundTruth().get(0).isBlank()) {
            throw EditException.invalid(at + ".ground_truth", "KN attributes the current answer to neurons: give the "
                    + "answer the model gives now (ground_truth), e.g. \"Paris\" for \"The capital of France is\"");
        }
    }

    @Override
    public ComputedEdit compute(MasteryEngine engine, MasteryState s, Hparams hp, List<EditRequest> requests,
                                Progress progress) {
        EditRequest r = requests.get(0);
        KnEditor editor = new KnEditor(engine.model(), hyperParams(hp)).withProgress(progress);
        List<KnEditor.Neuron> neurons = editor.refined(s.view(), List.of(r.prompt()), r.groundTruth().get(0));
        MemitUpdate u = editor.edit(s.view(), r.prompt(), r.targetNew(), neurons);
        Map<String, Double> d = new LinkedHashMap<>();
        d.put("neurons", (double) neurons.size());
        d.put("layers", (double) u.layers().size());
        d.put("delta_norm", u.deltaNorms()[0]);
        List<Note> notes = neurons.isEmpty() ? List.of(Note.of("NO_NEURONS", "no neuron passed the attribution "
                + "threshold, so nothing changed; lower adaptive_threshold")) : List.of();
        return new ComputedEdit(name(), dev.emend.mastery.engine.UpdateCodec.encode(u), List.of(notes), List.of(d), List.of());
    }

    @Override
    public void apply(MasteryState state, LedgerUnit unit) {
        MemitEditor.apply(state.overlay(), decode(unit, MemitUpdate.class));
    }
}
