package dev.emend.association.engine;

import dev.emend.core.edit.EditException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import java.util.List;
import java.util.Set;

/**
 * Reads EasyEdit's {@code inner_params} (one module name in EasyEdit's form {@code <layers>[L].<module>.weight},
 * resolved by the model's family with {@code DecoderModel.resolveModule}) as the site a side-memory method wraps:
 * a layer's MLP down-projection, or its up-projection (EasyEdit's GPT-2 XL GRACE and WISE files name
 * {@code mlp.c_fc}). Payloads record the site ({@link #put}, {@link #site(TensorPack)}).
 */
public final class InnerParams {
    /** The projections GRACE and WISE can wrap. */
    public static final Set<Projection> SITES = Set.of(Projection.MLP_DOWN, Projection.MLP_UP);

    private InnerParams() {
    }

    /** EasyEdit's name of a layer's MLP down-projection weight ({@code <layers module>[L].<down projection>.weight}). */
    public static String name(DecoderModel model, int layer) {
        return name(model, layer, Projection.MLP_DOWN);
    }

    /** EasyEdit's name of a layer's {@code projection} weight. */
    public static String name(DecoderModel model, int layer, Projection projection) {
        return model.layersModule() + "[" + layer + "]." + model.relativeModuleName(projection) + ".weight";
    }

    /**
     * The one module that {@code innerParams} names: a layer's MLP down- or up-projection (INVALID_ARGUMENT
     * naming the accepted forms otherwise).
     */
    public static ModuleRef module(List<String> innerParams, DecoderModel model) {
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
        if (!SITES.contains(ref.projection()) || ref.layer() < 0) {
            throw EditException.invalid("hparams.inner_params[0]", "'" + innerParams.get(0) + "' is not a layer's MLP"
                    + " down- or up-projection; use " + name(model, 0).replace("[0]", "[L]") + " or "
                    + name(model, 0, Projection.MLP_UP).replace("[0]", "[L]"));
        }
        return ref;
    }

    /** Records {@code site} in a payload ({@code layer}, {@code projection}). */
    public static TensorPack put(TensorPack pack, ModuleRef site) {
        return pack.put("layer", site.layer()).put("projection", site.projection().name());
    }

    /** The site a payload was computed for; payloads written before 2026-12-07 (session 17) name no projection (the down-projection). */
    public static ModuleRef site(TensorPack pack) {
        return new ModuleRef(pack.getInt("layer"),
                Projection.valueOf(pack.getOrDefault("projection", Projection.MLP_DOWN.name())));
    }
}
