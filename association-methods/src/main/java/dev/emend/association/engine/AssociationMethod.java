package dev.emend.association.engine;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.Progress;
import dev.emend.core.method.EditingMethod;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the association methods share: their phase, context ({@link AssociationEngine}: the base
 * model) and state ({@link AssociationState}: adapters, side memories and codebooks as hooks over
 * the frozen weights), and helpers for their specs, diagnostics and notes. The checks every
 * association edit passes are the engine's ({@link AssociationEngine#validatePhase}).
 */
public abstract class AssociationMethod implements EditingMethod<AssociationEngine, AssociationState> {
    @Override
    public final Phase phase() {
        return Phase.ASSOCIATION;
    }

    @Override
    public final Class<AssociationEngine> contextType() {
        return AssociationEngine.class;
    }

    @Override
    public final Class<AssociationState> stateType() {
        return AssociationState.class;
    }

    /** The name EasyEdit's {@code inner_params} gives the MLP down-projection of {@code layer}. */
    protected static String downProj(LanguageModel lm, int layer) {
        return InnerParams.name(lm.model(), layer);
    }

    /** The built-in layer of GRACE and WISE: ~2/3 of the model's depth. */
    protected static int defaultLayer(LanguageModel lm) {
        return Math.max(0, (int) Math.round((lm.config().numLayers() - 1) * 2.0 / 3.0));
    }

    protected static HparamSpec f(String name, double def, Double min, Double max, String desc) {
        return HparamSpec.of(name, HparamType.FLOAT, def, min, max, desc);
    }

    protected static HparamSpec i(String name, int def, Double min, Double max, String desc) {
        return HparamSpec.of(name, HparamType.INT, def, min, max, desc);
    }

    protected static HparamSpec s(String name, String def, List<String> allowed, String desc) {
        return new HparamSpec(name, HparamType.STRING, def, null, null, allowed, desc);
    }

    /** {@code layers} and {@code target_modules}, the targets of the adapter methods (LoRA, AdaLoRA); default: the MLP. */
    protected static List<HparamSpec> adapterTargetSpecs(LanguageModel lm) {
        List<String> modules = List.of(lm.model().shortModuleName(Projection.MLP_UP), lm.model().shortModuleName(Projection.MLP_DOWN));
        return List.of(HparamSpec.of("layers", HparamType.INT_LIST, List.of(), 0.0, null, "layers to adapt; empty = all"),
                HparamSpec.of("target_modules", HparamType.STRING_LIST, modules, null, null,
                        "projections to adapt, in EasyEdit/PEFT module names"));
    }

    /** The site (layer, MLP projection) of the one module {@code inner_params} names (INVALID_ARGUMENT otherwise). */
    protected static ModuleRef site(AssociationEngine engine, Hparams hp) {
        return InnerParams.module(hp.getStringList("inner_params"), engine.model().model());
    }

    /** For methods that compute one request per ledger unit. */
    protected void requireOne(List<EditRequest> requests) {
        if (requests.size() != 1) {
            throw EditException.invalid("requests", name() + " computes one request per ledger unit; send them"
                    + " SEQUENTIAL");
        }
    }

    protected static List<Note> converged(double lastLoss, String who) {
        // loss above 0.5 means P(target) well under 0.6 on average: the edit may not hold
        return lastLoss > 0.5 ? List.of(Note.of("NOT_CONVERGED", who + " training ended at loss " + String.format(Locale.ROOT,
                "%.3f", lastLoss) + "; raise n_iter / the learning rate")) : List.of();
    }

    /** Name/value pairs as a diagnostics map, NaN values left out. */
    protected static Map<String, Double> diag(Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int k = 0; k < kv.length; k += 2) {
            double v = (Double) kv[k + 1];
            if (!Double.isNaN(v)) {
                m.put((String) kv[k], v);
            }
        }
        return m;
    }

    /** The finished unit, progress reported done. */
    protected ComputedEdit edit(Progress progress, byte[] payload, List<Map<String, Double>> diagnostics,
                                List<List<Note>> notes) {
        progress.report(name(), 1);
        return new ComputedEdit(name(), payload, notes, diagnostics, List.of());
    }
}
