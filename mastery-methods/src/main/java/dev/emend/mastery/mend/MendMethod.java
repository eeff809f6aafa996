package dev.emend.mastery.mend;

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
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.MasteryMethod;
import dev.emend.mastery.engine.MasteryState;
import dev.emend.mastery.engine.UpdateCodec;
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.memit.MemitUpdate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MEND (Mitchell et al. 2022, "Fast Model Editing at Scale") as EasyEdit runs it ({@link MendEditor}):
 * a trained editor network turns the rank-one factors of the edit's fine-tuning gradient into the
 * update of the last layers' MLP matrices, in one forward and backward pass. The editor is a file
 * trained for the served model ({@code ./emend train-mend}, {@link MendTrainer}); without one that
 * matches the model's fingerprint and the structural hparams the method refuses (FAILED_PRECONDITION,
 * naming the command). Editors are read on first use and cached per file, re-read when the file
 * changes (a retrained editor is picked up without a restart). The payload is a {@link MemitUpdate}
 * (method "MEND", rank ≤ tokens per matrix) that the overlay applies and the ledger replays.
 */
public final class MendMethod extends MasteryMethod implements dev.emend.core.method.TrainableMethod {
    private record Cached(FileTime modified, String fingerprint, Map<String, String> structure, MendNetwork net) {}

    private static final Map<Path, Cached> EDITORS = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "MEND";
    }

    @Override
    public MethodDescriptor describe(int numLayers) {
        List<Integer> last = new ArrayList<>();
        for (int l = Math.max(0, numLayers - 3); l < numLayers; l++) {
            last.add(l);
        }
        List<HparamSpec> specs = List.of(
                HparamSpec.of("layers", HparamType.INT_LIST, last, 0.0, numLayers - 1.0,
                        "layers whose MLP matrices are edited (EasyEdit: the last three); structural: must match the editor"),
                new HparamSpec("projections", HparamType.STRING_LIST, List.of("mlp_up", "mlp_down"), null, null,
                        List.of("mlp_up", "mlp_gate", "mlp_down"), "edited MLP matrices of each layer (EasyEdit's inner_params: "
                        + "GPT-2 c_fc and c_proj); structural"),
                HparamSpec.of("n_hidden", HparamType.INT, 1, 0.0, 8.0, "hidden LRLinear layers of the IDMLP editor; structural"),
                HparamSpec.of("rank", HparamType.INT, 1920, 1.0, 1e6, "rank of each LRLinear (capped at in + out); structural"),
                new HparamSpec("init", HparamType.STRING, "id", null, null, List.of("id", "xavier"),
                        "id: the editor starts as the identity on normalised inputs; structural"),
                HparamSpec.of("norm", HparamType.BOOL, true, null, null, "normalise u and δ by running mean/std; structural"),
                HparamSpec.of("shared", HparamType.BOOL, true, null, null,
                        "one editor per matrix shape with per-matrix scale/shift (else one per matrix); structural"),
                HparamSpec.of("lr_scale", HparamType.FLOAT, 1.0, 1e-6, 1e6, "edit time: multiplies the update"),
                HparamSpec.of("editor", HparamType.STRING, "default", null, null,
                        "edit time: the trained editor, a name under <model-dir>/mend/ or a path to a .safetensors file"),
                HparamSpec.of("edit_lr", HparamType.FLOAT, 1e-4, 1e-12, 1e3, "training: initial per-matrix edit learning rate"),
                HparamSpec.of("lr", HparamType.FLOAT, 1e-6, 1e-12, 1.0, "training: Adam learning rate of the editor network"),
                HparamSpec.of("lr_lr", HparamType.FLOAT, 1e-4, 1e-12, 1.0, "training: Adam learning rate of the edit learning rates"),
                HparamSpec.of("cedit", HparamType.FLOAT, 0.1, 0.0, 1e6, "training: weight of the post-edit NLL"),
                HparamSpec.of("cloc", HparamType.FLOAT, 1.0, 0.0, 1e6, "training: weight of the locality KL"),
                HparamSpec.of("max_iters", HparamType.INT, 100_000, 1.0, 1e9, "training: steps (one case each)"),
                HparamSpec.of("accumulate_bs", HparamType.INT, 10, 1.0, 1e6, "training: steps whose gradients are summed per Adam step"),
                HparamSpec.of("grad_clip", HparamType.FLOAT, 100.0, 1e-9, 1e9, "training: gradient norm clip"),
                HparamSpec.of("seed", HparamType.INT, 42, 0.0, 2e9, "training: initialisation and case order"),
                HparamSpec.of("val_interval", HparamType.INT, 1000, 1.0, 1e9, "training: steps between validations (and checkpoints)"),
                HparamSpec.of("val_steps", HparamType.INT, 500, 0.0, 1e9, "training: validation cases per validation"));
        return new MethodDescriptor(name(), "MEND (Mitchell et al. 2022): a trained editor network maps the rank-one "
                + "factors (input u, output gradient δ) of the edit's fine-tuning gradient to the update of the last "
                + "layers' MLP matrices; needs an editor trained for the model (./emend train-mend).", specs,
                Set.of(EditMode.SINGLE, EditMode.BATCH, EditMode.SEQUENTIAL), 64, false, "");
    }

    @Override
    protected boolean locatesSubject() {
        return false;
    }

    @Override
    protected void checkHparams(MasteryEngine engine, Hparams hp) {
        LanguageModel lm = engine.model();
        MendHyperParams p = MendHyperParams.from(hp).validate(lm.config(), lm.model().projections());
        network(lm, p);
    }

    /** The trained editor for {@code hp} on {@code lm}, read once per file version. */
    static MendNetwork network(LanguageModel lm, MendHyperParams hp) {
        Path file = MendEditorFile.resolve(lm, hp.editor());
        FileTime modified;
        try {
            modified = Files.isRegularFile(file) ? Files.getLastModifiedTime(file) : null;
        } catch (IOException e) {
            modified = null;
        }
        Cached c = EDITORS.get(file);
        if (c != null && modified != null && c.modified().equals(modified) && c.fingerprint().equals(lm.fingerprint())
                && c.structure().equals(hp.structure())) {
            return c.net();
        }
        MendNetwork net = MendEditorFile.read(file, lm, hp);
        if (modified != null) {
            EDITORS.put(file, new Cached(modified, lm.fingerprint(), hp.structure(), net));
        }
        return net;
    }

    @Override
    public ComputedEdit compute(MasteryEngine engine, MasteryState s, Hparams hparams, List<EditRequest> requests,
                                Progress progress) {
        LanguageModel lm = engine.model();
        MendHyperParams hp = MendHyperParams.from(hparams);
        MendNetwork net = network(lm, hp);
        List<String[]> pairs = requests.stream().map(r -> new String[] {r.prompt().replace("{}", r.subject()), r.targetNew()})
                .toList();
        progress.report("MEND edit", 0);
        MendEditor.Result r = new MendEditor(lm, net).edit(s.view(), pairs, hp.lrScale());
        List<Map<String, Double>> diagnostics = new ArrayList<>();
        List<List<Note>> notes = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            Map<String, Double> d = new LinkedHashMap<>();
            d.put("delta_norm", r.update().deltaNorms()[0]);
            d.put("edit_nll_before", r.nllBefore());
            d.put("target_tokens", (double) r.tokens());
            diagnostics.add(d);
            notes.add(List.of());
        }
        return new ComputedEdit(name(), UpdateCodec.encode(r.update()), notes, diagnostics, List.of());
    }

    @Override
    public void apply(MasteryState state, LedgerUnit unit) {
        MemitEditor.apply(state.overlay(), decode(unit, MemitUpdate.class));
    }

    /** Drops the cached editors (tests that rewrite a file within the file system's timestamp resolution). */
    static void forget() {
        EDITORS.clear();
    }


    /** Where a training request would write its editor on {@code lm}; see {@link MendTraining}. */
    @Override
    public Path target(TrainingRequest request, LanguageModel lm) {
        return MendTraining.target(request, lm);
    }

    /** Trains the editor network ({@code ./emend train-mend}, the phase service's TrainMethod); see {@link MendTraining}. */
    @Override
    public Path train(TrainingRequest request, Progress progress, java.util.function.Consumer<String> log) {
        return MendTraining.run(request, progress, log);
    }
}
