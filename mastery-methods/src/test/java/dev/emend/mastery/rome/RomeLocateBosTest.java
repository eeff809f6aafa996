package dev.emend.mastery.rome;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.TinyCheckpoints;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ROME/MEMIT read the fact at a token index of the prompt as the model sees it: with a checkpoint
 * whose tokenizer adds a BOS (a Llama without tokenizer_config.json: the family default), the
 * located ids start with it and the index moves by one.
 */
class RomeLocateBosTest {
    @Test
    void locatedIdsStartWithTheCheckpointsBos(@TempDir Path tmp) {
        try (LanguageModel lm = TinyCheckpoints.buildAndLoad(tmp.resolve("llama"), "llama", 3)) {
            int[] bos = lm.specialTokens().prefix();
            assertEquals(1, bos.length, lm.specialTokens().bosReason());
            RomeEditor ed = new RomeEditor(lm, RomeHyperParams.smallModel(0, lm.config().numLayers()), l -> {
                throw new AssertionError("locate needs no second-moment statistics");
            });
            RomeEditor.Located loc = ed.locate("The capital of {} is", "France");
            int[] prefix = lm.tokenizer().encode("The capital of");
            int[] subject = lm.tokenizer().encode(" France");
            assertEquals(bos[0], loc.ids()[0]);
            assertArrayEquals(prefix, Arrays.copyOfRange(loc.ids(), 1, 1 + prefix.length));
            assertEquals(1 + prefix.length + subject.length - 1, loc.index());
            assertEquals(subject[subject.length - 1], loc.ids()[loc.index()]);
            assertEquals(1 + prefix.length + subject.length + lm.tokenizer().encode(" is").length, loc.ids().length);
        }
    }
}
