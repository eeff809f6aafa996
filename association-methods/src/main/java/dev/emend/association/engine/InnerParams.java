package dev.emend.association.engine;

import dev.emend.core.edit.EditException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import java.util.List;

/**
 * Reads EasyEdit's {@code inner_params} (one module name in EasyEdit's form {@code <layers>[L].<module>.weight},
 * resolved by the model's family with {@code DecoderModel.resolveModule}) as the index of
 * the layer whose MLP down-projection the method wraps. GRACE and WISE in Emend wrap the
 * down-projection only.
 */
public final class InnerParams {
    private InnerParams() {
    }

    /** EasyEdit's name of a layer's MLP down-projection weight ({@code <layers module>[L].<down projection>.weight}). */
    public static String name(DecoderModel model, int layer) {
        return model.layersModule() + "[" + layer + "]." + model.relativeModuleName(Projection.MLP_DOWN) + ".weight";
    }

    public static int layer(List<String> innerParams, DecoderModel model) {
        if (innerParams.size() != 1) {
            throw EditException.invalid("hparams.inner_params", "name exactly one module, e.g. " + name(model, 0)
                    + "; got " + innerParams.size());
        }
        ModuleRef ref;
        try {
            ref = model.resolveModule(innerParams.get(0));
        } catch (IllegalArgumentException e) {
            throw EditException.invalid("hparams.inner_params[0]", e.getMessage());
        }
        if (ref.projection() != Projection.MLP_DOWN || ref.layer() < 0) {
            throw EditException.invalid("hparams.inner_params[0]", "'" + innerParams.get(0) + "' is not a layer's MLP"
                    + " down-projection; use " + name(model, 0).replace("[0]", "[L]"));
        }
        return ref.layer();
    }
}
