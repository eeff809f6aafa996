package dev.emend.mastery.mend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.model.Projection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MEND's per-model defaults: EasyEdit's published files on their shapes, scaling, and the default model's override. */
class MendDefaultsTest {
    private static final ClassLoader LOADER = MendMethod.class.getClassLoader();

    private static MendHyperParams on(String model, ModelDefaults.Shape shape) {
        MethodDescriptor d = ModelDefaults.withDefaults(new MendMethod().describe(shape.numLayers()), LOADER, model, shape);
        return MendHyperParams.from(Hparams.defaults(d));
    }

    @Test
    void easyEditsFilesGiveItsValues() {
        MendHyperParams xl = on("gpt2-xl", new ModelDefaults.Shape("gpt2", 48, 1600, 50257));
        assertEquals(List.of(45, 46, 47), xl.layers());
        assertEquals(List.of(Projection.MLP_UP, Projection.MLP_DOWN), xl.projections());
        assertEquals(1e-6, xl.lr());
        assertEquals(1e-4, xl.editLr());
        assertEquals(1e-4, xl.lrLr());
        assertEquals(0.1, xl.cedit());
        assertEquals(1.0, xl.cloc());
        assertEquals(1920, xl.rank());
        assertEquals(1, xl.nHidden());
        assertEquals(10, xl.accumulateBs());
        assertEquals(100_000, xl.maxIters());
        MendHyperParams llama = on("llama3-8b", new ModelDefaults.Shape("llama", 32, 4096, 128256));
        assertEquals(List.of(29, 30, 31), llama.layers());
        assertEquals(List.of(Projection.MLP_GATE, Projection.MLP_UP, Projection.MLP_DOWN), llama.projections());
        MendHyperParams qwen = on("qwen2.5-7b", new ModelDefaults.Shape("qwen2", 28, 3584, 152064));
        assertEquals(List.of(25, 26, 27), qwen.layers());
    }

    @Test
    void otherDepthsScaleAndTheDefaultModelHasItsOwnFile() {
        // Llama 3.2 3B: no MEND file; nearest llama reference (32 layers), 29..31 * 28 / 32 = 25.4, 26.3, 27.1
        assertEquals(List.of(25, 26, 27), on("llama3.2-3b", new ModelDefaults.Shape("llama", 28, 3072, 128256)).layers());
        MendHyperParams facts = on("emend-facts", new ModelDefaults.Shape("gpt2", 6, 256, 4096));
        assertEquals(List.of(3, 4, 5), facts.layers());
        assertEquals(1e-5, facts.lr());
        assertEquals(1e-4, facts.lrLr());
        assertEquals(300, facts.maxIters());
        assertEquals("default", facts.editor());
    }
}
