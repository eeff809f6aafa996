package dev.emend.core.edit;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HparamsTest {
    private static final MethodDescriptor DEMO = new MethodDescriptor("DEMO", "test method", List.of(
            HparamSpec.of("layers", HparamType.INT_LIST, List.of(0), 0.0, 5.0, "edited layers"),
            HparamSpec.of("v_lr", HparamType.FLOAT, 0.5, 0.0, null, "learning rate"),
            HparamSpec.of("v_num_grad_steps", HparamType.INT, 20, 1.0, 1000.0, "steps"),
            new HparamSpec("fact_token", HparamType.STRING, "subject_last", null, null,
                    List.of("subject_last", "last"), "where the key is read")),
            Set.of(EditMode.SINGLE), 1, true, "");

    @Test
    void defaultsAndOverrides() {
        Hparams hp = Hparams.resolve(DEMO, Map.of("v_lr", 1, "v_num_grad_steps", 30.0, "layers", List.of(1.0, 2)));
        assertEquals(1.0, hp.getDouble("v_lr"));
        assertEquals(30, hp.getInt("v_num_grad_steps"));
        assertEquals(List.of(1, 2), hp.getIntList("layers"));
        assertEquals("subject_last", hp.getString("fact_token"));
    }

    @Test
    void badOverridesNameTheField() {
        EditException unknown = assertThrows(EditException.class, () -> Hparams.resolve(DEMO, Map.of("v_lrr", 1)));
        assertEquals("hparams.v_lrr", unknown.field());
        assertTrue(unknown.getMessage().contains("v_lr"), unknown.getMessage());
        EditException fraction = assertThrows(EditException.class,
                () -> Hparams.resolve(DEMO, Map.of("v_num_grad_steps", 2.5)));
        assertEquals("hparams.v_num_grad_steps", fraction.field());
        EditException range = assertThrows(EditException.class,
                () -> Hparams.resolve(DEMO, Map.of("layers", List.of(1, 9))));
        assertEquals("hparams.layers[1]", range.field());
        assertTrue(range.getMessage().contains("maximum 5"), range.getMessage());
        EditException allowed = assertThrows(EditException.class,
                () -> Hparams.resolve(DEMO, Map.of("fact_token", "first")));
        assertEquals(EditException.Reason.INVALID_ARGUMENT, allowed.reason());
        assertThrows(EditException.class, () -> Hparams.resolve(DEMO, Map.of("v_lr", "fast")));
    }

    @Test
    void yamlFileSetsDefaultsAndRejectsTypos() {
        MethodDescriptor withYaml = HparamsFiles.withDefaults(DEMO, getClass().getClassLoader(), "missing", "tiny");
        assertEquals("hparams/DEMO/tiny.yaml", withYaml.hparamsSource());
        Hparams hp = Hparams.defaults(withYaml);
        assertEquals(List.of(2, 3), hp.getIntList("layers"));
        assertEquals(0.25, hp.getDouble("v_lr"));
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> HparamsFiles.apply(DEMO, Map.of("v_lrr", 1.0), "x.yaml"));
        assertTrue(typo.getMessage().contains("'v_lrr' is not an hparam of DEMO"), typo.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> HparamsFiles.parse(
                new ByteArrayInputStream("alg_name: DEMO\nv_lr: 0.1\nalg_name: DEMO\n".getBytes(StandardCharsets.UTF_8)), "y.yaml"));
        assertTrue(twice.getMessage().startsWith("y.yaml: ") && twice.getMessage().contains("alg_name"), twice.getMessage());
    }
}
