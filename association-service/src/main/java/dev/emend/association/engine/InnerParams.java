package dev.emend.association.engine;

import dev.emend.core.edit.EditException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads EasyEdit's {@code inner_params} (module names such as {@code transformer.h[4].mlp.c_proj.weight}
 * or {@code model.layers[27].mlp.down_proj.weight}) as the index of the layer whose MLP
 * down-projection the method wraps. GRACE and WISE in Emend wrap the down-projection only.
 */
public final class InnerParams {
    private static final Pattern LAYER = Pattern.compile("(?:\\.h|layers)[\\[.](\\d+)\\]?\\.mlp\\.(c_proj|down_proj)(?:\\.weight)?$");

    private InnerParams() {
    }

    public static int layer(List<String> innerParams, int numLayers) {
        if (innerParams.size() != 1) {
            throw EditException.invalid("hparams.inner_params", "name exactly one module, e.g. transformer.h[4].mlp.c_proj.weight;"
                    + " got " + innerParams.size());
        }
        Matcher m = LAYER.matcher(innerParams.get(0));
        if (!m.find()) {
            throw EditException.invalid("hparams.inner_params[0]", "'" + innerParams.get(0) + "' is not an MLP down-projection;"
                    + " use transformer.h[L].mlp.c_proj.weight (GPT-2) or model.layers[L].mlp.down_proj.weight (Llama)");
        }
        int layer = Integer.parseInt(m.group(1));
        if (layer >= numLayers) {
            throw EditException.invalid("hparams.inner_params[0]", "layer " + layer + " does not exist: the model has layers 0.."
                    + (numLayers - 1));
        }
        return layer;
    }
}
