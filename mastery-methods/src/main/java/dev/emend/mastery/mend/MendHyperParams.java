package dev.emend.mastery.mend;

import dev.emend.core.edit.Hparams;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.Projection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * MEND's hyperparameters, named as in EasyEdit's {@code MENDHyperParams} / {@code MENDTrainingHparams}
 * (Java camel case here). Three groups:
 * <ul>
 *   <li><b>Structure</b> of the editor (must equal the trained editor's at edit time): {@code layers} and
 *       {@code projections} (EasyEdit's {@code inner_params}, e.g. {@code transformer.h.45.mlp.c_fc.weight}
 *       = layer 45, {@code mlp_up}), {@code n_hidden}, {@code rank}, {@code init}, {@code norm},
 *       {@code shared}.</li>
 *   <li><b>Training</b> (read by {@link MendTrainer} only): {@code lr} (Adam on the editor), {@code lr_lr}
 *       (Adam on the per-matrix edit learning rates), {@code edit_lr} (their initial value), {@code cedit},
 *       {@code cloc}, {@code max_iters}, {@code accumulate_bs}, {@code grad_clip}, {@code seed},
 *       {@code val_interval}, {@code val_steps}.</li>
 *   <li><b>Edit time</b>: {@code lr_scale} (multiplies the update, EasyEdit's knob) and {@code editor}
 *       (which trained editor: a name under {@code <model-dir>/mend/} or a path to a file).</li>
 * </ul>
 * EasyEdit's fixed choices are not hparams here: {@code combine: true}, {@code mlp_class: IDMLP},
 * {@code act: relu}, {@code one_sided/x_only/delta_only: false}, {@code dropout: 0}, {@code train_base: false}
 * (every published MEND file uses them).
 */
public record MendHyperParams(List<Integer> layers, List<Projection> projections, int nHidden, int rank, String init,
                              boolean norm, boolean shared, double editLr, double lr, double lrLr, double lrScale,
                              double cedit, double cloc, int maxIters, int accumulateBs, double gradClip, long seed,
                              int valInterval, int valSteps, String editor) {
    /** Structural keys: an editor can only be used with the values it was trained with. */
    public static final List<String> STRUCTURE = List.of("layers", "projections", "n_hidden", "rank", "init", "norm", "shared");

    public MendHyperParams {
        layers = List.copyOf(layers);
        projections = List.copyOf(projections);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("layers: give at least one layer (EasyEdit edits the last three)");
        }
        if (layers.stream().distinct().count() != layers.size()) {
            throw new IllegalArgumentException("layers: " + layers + " names a layer twice");
        }
        if (projections.isEmpty()) {
            throw new IllegalArgumentException("projections: give at least one of mlp_up, mlp_gate, mlp_down");
        }
        if (projections.stream().distinct().count() != projections.size()) {
            throw new IllegalArgumentException("projections: " + projections + " names a projection twice");
        }
        if (nHidden < 0 || nHidden > 8) {
            throw new IllegalArgumentException("n_hidden: must be in [0, 8], got " + nHidden);
        }
        if (rank < 1) {
            throw new IllegalArgumentException("rank: must be at least 1, got " + rank);
        }
        if (!init.equals("id") && !init.equals("xavier")) {
            throw new IllegalArgumentException("init: must be 'id' or 'xavier', got '" + init + "'");
        }
        positive("lr", lr);
        positive("lr_lr", lrLr);
        positive("edit_lr", editLr);
        positive("lr_scale", lrScale);
        positive("grad_clip", gradClip);
        if (!(cedit >= 0) || !(cloc >= 0) || cedit + cloc == 0) {
            throw new IllegalArgumentException("cedit, cloc: must be non-negative and not both 0, got " + cedit + ", " + cloc);
        }
        if (maxIters < 1 || accumulateBs < 1 || valInterval < 1 || valSteps < 0) {
            throw new IllegalArgumentException("max_iters, accumulate_bs, val_interval must be at least 1 and val_steps at least 0, got "
                    + maxIters + ", " + accumulateBs + ", " + valInterval + ", " + valSteps);
        }
        if (editor == null || editor.isBlank()) {
            throw new IllegalArgumentException("editor: give the trained editor's name (a file under <model-dir>/mend/) or a path");
        }
    }

    private static void positive(String name, double v) {
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(name + ": must be a positive finite number, got " + v);
        }
    }

    /** The typed hparams from resolved {@link Hparams}; IllegalArgumentException names the bad one. */
    public static MendHyperParams from(Hparams hp) {
        List<Projection> projections = new ArrayList<>();
        for (String p : hp.getStringList("projections")) {
            projections.add(projection(p));
        }
        return new MendHyperParams(hp.getIntList("layers"), projections, hp.getInt("n_hidden"), hp.getInt("rank"),
                hp.getString("init"), hp.getBool("norm"), hp.getBool("shared"), hp.getDouble("edit_lr"), hp.getDouble("lr"),
                hp.getDouble("lr_lr"), hp.getDouble("lr_scale"), hp.getDouble("cedit"), hp.getDouble("cloc"),
                hp.getInt("max_iters"), hp.getInt("accumulate_bs"), hp.getDouble("grad_clip"), hp.getInt("seed"),
                hp.getInt("val_interval"), hp.getInt("val_steps"), hp.getString("editor"));
    }

    static Projection projection(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "mlp_up" -> Projection.MLP_UP;
            case "mlp_gate" -> Projection.MLP_GATE;
            case "mlp_down" -> Projection.MLP_DOWN;
            default -> throw new IllegalArgumentException("projections: '" + name
                    + "' is not an MLP projection; use mlp_up, mlp_gate or mlp_down");
        };
    }

    /** Checks the layers and projections against the model. */
    public MendHyperParams validate(ModelConfig config, List<Projection> available) {
        for (int l : layers) {
            if (l < 0 || l >= config.numLayers()) {
                throw new IllegalArgumentException("layers: " + l + " is outside the model's layers 0.." + (config.numLayers() - 1));
            }
        }
        for (Projection p : projections) {
            if (!available.contains(p)) {
                throw new IllegalArgumentException("projections: this model has no " + p.name().toLowerCase(Locale.ROOT)
                        + " (it has " + available.stream().map(x -> x.name().toLowerCase(Locale.ROOT)).toList() + ")");
            }
        }
        return this;
    }

    /** The structural values, as stored in an editor file and compared at edit time. */
    public Map<String, String> structure() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("layers", layers.toString());
        m.put("projections", projections.stream().map(p -> p.name().toLowerCase(Locale.ROOT)).toList().toString());
        m.put("n_hidden", Integer.toString(nHidden));
        m.put("rank", Integer.toString(rank));
        m.put("init", init);
        m.put("norm", Boolean.toString(norm));
        m.put("shared", Boolean.toString(shared));
        return m;
    }
}
