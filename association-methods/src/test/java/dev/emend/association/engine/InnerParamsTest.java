package dev.emend.association.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.edit.EditException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.runtime.TinyCheckpoints;
import java.util.List;
import org.junit.jupiter.api.Test;

/** inner_params are read through the model's family: each family's own down-projection name, any other refused. */
class InnerParamsTest {
    private static DecoderModel model(String family) {
        ModelFamily f = ModelFamilies.forModelType(family);
        return f.create(f.parseConfig(TinyCheckpoints.config(family, 300)));
    }

    @Test
    void eachFamilyNamesAndReadsItsOwnDownProjection() {
        assertEquals("transformer.h[1].mlp.c_proj.weight", InnerParams.name(model("gpt2"), 1));
        assertEquals("transformer.h[1].mlp.fc_out.weight", InnerParams.name(model("gptj"), 1));
        for (String family : List.of("llama", "mistral", "qwen2", "qwen3")) {
            DecoderModel m = model(family);
            assertEquals("model.layers[1].mlp.down_proj.weight", InnerParams.name(m, 1));
            assertEquals(1, InnerParams.layer(List.of("model.layers[1].mlp.down_proj.weight"), m), family);
            assertEquals(0, InnerParams.layer(List.of("model.layers.0.mlp.down_proj"), m), family);
        }
        assertEquals(1, InnerParams.layer(List.of(InnerParams.name(model("gptj"), 1)), model("gptj")));
    }

    @Test
    void anotherFamilysNameOrAnotherProjectionIsRefused() {
        DecoderModel qwen = model("qwen2");
        EditException gpt2Name = assertThrows(EditException.class,
                () -> InnerParams.layer(List.of("transformer.h[1].mlp.c_proj.weight"), qwen));
        assertEquals("hparams.inner_params[0]", gpt2Name.field());
        assertTrue(gpt2Name.getMessage().contains("down_proj"), gpt2Name.getMessage());
        EditException attention = assertThrows(EditException.class,
                () -> InnerParams.layer(List.of("model.layers[1].self_attn.o_proj.weight"), qwen));
        assertTrue(attention.getMessage().contains("model.layers[L].mlp.down_proj.weight"), attention.getMessage());
        EditException shortName = assertThrows(EditException.class, () -> InnerParams.layer(List.of("down_proj"), qwen));
        assertEquals("hparams.inner_params[0]", shortName.field());
    }
}
