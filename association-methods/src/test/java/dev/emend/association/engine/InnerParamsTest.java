package dev.emend.association.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.edit.EditException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.TinyCheckpoints;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * inner_params are read through the model's family: each family's own MLP down- and up-projection names,
 * any other module refused; payloads carry the site.
 */
class InnerParamsTest {
    private static DecoderModel model(String family) {
        ModelFamily f = ModelFamilies.forModelType(family);
        return f.create(f.parseConfig(TinyCheckpoints.config(family, 300)));
    }

    private static ModuleRef down(int layer) {
        return new ModuleRef(layer, Projection.MLP_DOWN);
    }

    @Test
    void eachFamilyNamesAndReadsItsOwnMlpProjections() {
        assertEquals("transformer.h[1].mlp.c_proj.weight", InnerParams.name(model("gpt2"), 1));
        assertEquals("transformer.h[1].mlp.fc_out.weight", InnerParams.name(model("gptj"), 1));
        assertEquals(new ModuleRef(1, Projection.MLP_UP),
                InnerParams.module(List.of("transformer.h[1].mlp.c_fc.weight"), model("gpt2")));
        assertEquals(new ModuleRef(1, Projection.MLP_UP), InnerParams.module(List.of("transformer.h.1.mlp.fc_in"), model("gptj")));
        for (String family : List.of("llama", "mistral", "qwen2", "qwen3")) {
            DecoderModel m = model(family);
            assertEquals("model.layers[1].mlp.down_proj.weight", InnerParams.name(m, 1));
            assertEquals(down(1), InnerParams.module(List.of("model.layers[1].mlp.down_proj.weight"), m), family);
            assertEquals(down(0), InnerParams.module(List.of("model.layers.0.mlp.down_proj"), m), family);
            assertEquals(new ModuleRef(1, Projection.MLP_UP), InnerParams.module(List.of("model.layers[1].mlp.up_proj.weight"), m));
        }
        assertEquals(down(1), InnerParams.module(List.of(InnerParams.name(model("gptj"), 1)), model("gptj")));
    }

    @Test
    void anotherFamilysNameOrAnotherProjectionIsRefused() {
        DecoderModel qwen = model("qwen2");
        EditException gpt2Name = assertThrows(EditException.class,
                () -> InnerParams.module(List.of("transformer.h[1].mlp.c_proj.weight"), qwen));
        assertEquals("hparams.inner_params[0]", gpt2Name.field());
        assertTrue(gpt2Name.getMessage().contains("down_proj"), gpt2Name.getMessage());
        EditException attention = assertThrows(EditException.class,
                () -> InnerParams.module(List.of("model.layers[1].self_attn.o_proj.weight"), qwen));
        assertTrue(attention.getMessage().contains("model.layers[L].mlp.down_proj.weight or model.layers[L].mlp.up_proj.weight"),
                attention.getMessage());
        EditException gate = assertThrows(EditException.class,
                () -> InnerParams.module(List.of("model.layers[1].mlp.gate_proj.weight"), qwen));
        assertEquals("hparams.inner_params[0]", gate.field());
        EditException shortName = assertThrows(EditException.class, () -> InnerParams.module(List.of("down_proj"), qwen));
        assertEquals("hparams.inner_params[0]", shortName.field());
        EditException two = assertThrows(EditException.class, () -> InnerParams.module(List.of(), qwen));
        assertEquals("hparams.inner_params", two.field());
    }

    @Test
    void aPayloadCarriesItsSiteAndAnOldOneMeansTheDownProjection() {
        ModuleRef up = new ModuleRef(3, Projection.MLP_UP);
        assertEquals(up, InnerParams.site(TensorPack.fromBytes(InnerParams.put(new TensorPack(), up).toBytes())));
        assertEquals(down(5), InnerParams.site(TensorPack.fromBytes(new TensorPack().put("layer", 5).toBytes())));
    }
}
