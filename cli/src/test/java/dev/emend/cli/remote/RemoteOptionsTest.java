package dev.emend.cli.remote;

import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the gateway commands turn their options into request bodies. */
class RemoteOptionsTest {
    @Test
    void hparamValuesKeepTheirJsonTypes() {
        assertEquals(10L, EditCommand.value("10"));
        assertEquals(0.5, EditCommand.value("0.5"));
        assertEquals(true, EditCommand.value("true"));
        assertEquals("last", EditCommand.value("last"));
    }

    @Test
    void armsParseSpacePhaseAndWeight() {
        assertEquals(Map.of("space", "a", "weight", 1.0), ExperimentsCommand.Create.arm("a"));
        assertEquals(Map.of("space", "a", "weight", 3.0), ExperimentsCommand.Create.arm("a:3"));
        assertEquals(Map.of("space", "base", "phase", "mastery", "weight", 0.5), ExperimentsCommand.Create.arm("base@mastery:0.5"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExperimentsCommand.Create.arm("a:lots"));
        assertTrue(e.getMessage().contains("the weight after ':' is not a number"), e.getMessage());
    }

    @Test
    void segmentsArePercentEncoded() {
        assertEquals("a%20b%2Fc", Remote.seg("a b/c"));
    }
}
