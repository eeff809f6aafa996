package dev.emend.association.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.association.EditFixture;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Phase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ValidationTest {
    static AssociationEngine engine;

    @BeforeAll
    static void setUp() {
        engine = EditFixture.engine();
    }

    @AfterAll
    static void tearDown() {
        engine.close();
    }

    private static EditException reject(String method, Map<String, ?> hp, EditMode mode, List<EditRequest> requests) {
        MethodDescriptor m = engine.method(method);
        return assertThrows(EditException.class, () -> engine.validate(m, Hparams.resolve(m, hp), mode, requests));
    }

    @Test
    void methodsAndDefaultsComeFromTheYamlFiles() {
        assertEquals(Phase.ASSOCIATION, engine.phase());
        assertEquals(List.of("GRACE", "WISE", "LoRA", "AdaLoRA"), engine.methods().stream().map(MethodDescriptor::name).toList());
        assertEquals("hparams/GRACE/emend-facts.yaml", engine.method("grace").hparamsSource());
        assertEquals("hparams/WISE/emend-facts.yaml", engine.method("WISE").hparamsSource());
        assertEquals(List.of("transformer.h[2].mlp.c_proj.weight"), Hparams.defaults(engine.method("GRACE")).getStringList("inner_params"));
        assertTrue(engine.methods().stream().noneMatch(MethodDescriptor::exactRollback));
        EditException unknown = assertThrows(EditException.class, () -> engine.method("MEMIT"));
        assertEquals(EditException.Reason.INVALID_ARGUMENT, unknown.reason());
    }

    @Test
    void badRequestsAreRefusedWithTheirField() {
        List<EditRequest> ok = List.of(EditFixture.EDIT);
        EditException e = reject("GRACE", Map.of(), EditMode.SINGLE, List.of(EditRequest.of("Pavel Quinn was born in", "Pavel Quinn", " ")));
        assertEquals("requests[0].target_new", e.field());
        e = reject("LoRA", Map.of(), EditMode.SINGLE, List.of(EditRequest.of("x ".repeat(200), "x", "Paris")));
        assertEquals("requests[0].prompt", e.field());
        assertEquals(EditException.Reason.FAILED_PRECONDITION, e.reason(), "the model's context, not the request's form");
        assertTrue(e.getMessage().contains("shorten"), e.getMessage());
        e = reject("GRACE", Map.of(), EditMode.BATCH, List.of(EditFixture.EDIT, EditFixture.EDIT));
        assertEquals("mode", e.field());
        e = reject("WISE", Map.of(), EditMode.SINGLE, List.of());
        assertEquals("requests", e.field());
        e = reject("LoRA", Map.of(), EditMode.SINGLE, List.of(EditFixture.EDIT, EditFixture.EDIT));
        assertEquals("requests", e.field());
        engine.validate(engine.method("LoRA"), Hparams.defaults(engine.method("LoRA")), EditMode.SINGLE, ok);
        // A subject is optional, but one that is given must occur in the prompt (as ROME requires).
        for (String method : List.of("GRACE", "WISE", "LoRA", "AdaLoRA")) {
            e = reject(method, Map.of(), EditMode.SINGLE, List.of(EditRequest.of("The capital of France is", "Spain", "Berlin")));
            assertEquals("requests[0].subject", e.field());
            assertEquals(EditException.Reason.INVALID_ARGUMENT, e.reason());
        }
        engine.validate(engine.method("GRACE"), Hparams.defaults(engine.method("GRACE")), EditMode.SINGLE,
                List.of(EditRequest.of("The capital of France is", "", "Berlin")));
    }

    @Test
    void hparamsThatMakeNoSenseAreRefused() {
        MethodDescriptor grace = engine.method("GRACE");
        EditException e = assertThrows(EditException.class, () -> Hparams.resolve(grace, Map.of("eps", -1.0)));
        assertEquals("hparams.eps", e.field());
        e = assertThrows(EditException.class, () -> Hparams.resolve(engine.method("LoRA"), Map.of("rank", 0)));
        assertEquals("hparams.rank", e.field());
        e = assertThrows(EditException.class, () -> Hparams.resolve(grace, Map.of("dist_fn", "mmd")));
        assertEquals("hparams.dist_fn", e.field());
        e = assertThrows(EditException.class, () -> Hparams.resolve(grace, Map.of("radius", 1.0)));
        assertEquals("hparams.radius", e.field());
        List<EditRequest> ok = List.of(EditFixture.EDIT);
        e = reject("GRACE", Map.of("inner_params", List.of("transformer.h[2].attn.c_attn.weight")), EditMode.SINGLE, ok);
        assertEquals("hparams.inner_params[0]", e.field());
        e = reject("WISE", Map.of("inner_params", List.of("transformer.h[9].mlp.c_proj.weight")), EditMode.SINGLE, ok);
        assertTrue(e.getMessage().contains("0..5"), e.getMessage());
        e = reject("WISE", Map.of("save_freq", 3, "merge_freq", 4), EditMode.SINGLE, ok);
        assertEquals("hparams.merge_freq", e.field());
        e = reject("WISE", Map.of("act_margin", List.of(1.0, 2.0)), EditMode.SINGLE, ok);
        assertEquals("hparams.act_margin", e.field());
        e = reject("LoRA", Map.of("target_modules", List.of("q_proj")), EditMode.SINGLE, ok);
        assertEquals("hparams.target_modules", e.field());
        e = reject("LoRA", Map.of("layers", List.of(7)), EditMode.SINGLE, ok);
        assertEquals("hparams.layers[0]", e.field());
    }
}
