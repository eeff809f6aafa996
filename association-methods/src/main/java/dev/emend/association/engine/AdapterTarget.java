package dev.emend.association.engine;

import dev.emend.core.edit.EditException;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import java.util.ArrayList;
import java.util.List;

/**
 * One projection an adapter method (LoRA, AdaLoRA) trains an update for, with its math-orientation
 * sizes ({@code out = x·W}, x of width {@code in}). {@link #resolve} reads EasyEdit's / PEFT's
 * {@code layers} and {@code target_modules} hparams against the loaded model.
 */
public record AdapterTarget(int layer, Projection projection, int in, int out) {
    /** Whether this target adapts {@code projection} of {@code layer}. */
    public boolean matches(int layer, Projection projection) {
        return this.layer == layer && this.projection == projection;
    }

    /** {@code layer.PROJECTION}, the key the payloads store tensors under. */
    public String key() {
        return layer + "." + projection.name();
    }

    /** The inverse of {@link #key} (sizes from the stored tensors). */
    public static AdapterTarget ofKey(String key, int in, int out) {
        int dot = key.indexOf('.');
        return new AdapterTarget(Integer.parseInt(key.substring(0, dot)), Projection.valueOf(key.substring(dot + 1)), in, out);
    }

    /**
     * The targets named by {@code layers} (empty = every layer) × {@code target_modules} (EasyEdit/PEFT
     * module names, short as {@code DecoderModel.shortModuleNames()} lists or full as
     * {@code DecoderModel.moduleName}; a full name targets its own layer only), validated against the
     * model: INVALID_ARGUMENT naming the hparam for a layer or module the model lacks.
     */
    public static List<AdapterTarget> resolve(LanguageModel lm, List<Integer> layers, List<String> modules) {
        int numLayers = lm.config().numLayers();
        List<Integer> ls = new ArrayList<>();
        if (layers.isEmpty()) {
            for (int l = 0; l < numLayers; l++) {
                ls.add(l);
            }
        } else {
            for (int i = 0; i < layers.size(); i++) {
                if (layers.get(i) >= numLayers) {
                    throw EditException.invalid("hparams.layers[" + i + "]", "layer " + layers.get(i) + " does not exist: the model has layers 0.."
                            + (numLayers - 1));
                }
                ls.add(layers.get(i));
            }
        }
        if (modules.isEmpty()) {
            throw EditException.invalid("hparams.target_modules", "name at least one module, e.g. "
                    + List.of(lm.model().shortModuleName(Projection.MLP_UP), lm.model().shortModuleName(Projection.MLP_DOWN)));
        }
        List<AdapterTarget> out = new ArrayList<>();
        for (int l : ls) {
            for (String mod : modules) {
                ModuleRef named;
                try {
                    named = lm.model().resolveModule(mod);
                } catch (IllegalArgumentException e) {
                    throw EditException.invalid("hparams.target_modules", "unknown module: " + e.getMessage());
                }
                if (named.layer() >= 0 && named.layer() != l) {
                    continue;
                }
                LinearRef ref;
                try {
                    ref = lm.model().linear(l, named.projection());
                } catch (IllegalArgumentException e) {
                    throw EditException.invalid("hparams.target_modules", "'" + mod + "': " + e.getMessage());
                }
                out.add(new AdapterTarget(l, named.projection(), ref.inFeatures(), ref.outFeatures()));
            }
        }
        if (out.isEmpty()) {
            throw EditException.invalid("hparams.target_modules", "the named modules " + modules + " lie outside hparams.layers " + ls);
        }
        return out;
    }
}
