package dev.emend.core.method;

import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.TinyCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MethodRegistryTest {
    @Test
    void aMethodRegisteredInTestResourcesIsDiscovered() {
        MethodRegistry registry = MethodRegistry.load();
        assertTrue(registry.find("TEST-ECHO").isPresent(), registry.all().toString());
        assertTrue(registry.find("test-echo").orElseThrow() instanceof EchoTestMethod, "lookup ignores case");
        assertEquals(Optional.of(Phase.RECOGNITION), registry.phaseOf(" Test-Echo "));
        assertTrue(registry.names(Phase.RECOGNITION).contains("TEST-ECHO"));
        assertTrue(registry.ofPhase(Phase.MASTERY).stream().noneMatch(m -> m.name().equals("TEST-ECHO")));
    }

    @Test
    void anUnknownMethodIsInvalidArgumentListingThePhasesMethods() {
        MethodRegistry registry = MethodRegistry.of(List.of(new EchoTestMethod()));
        EditException e = assertThrows(EditException.class, () -> registry.get(Phase.RECOGNITION, "NO-SUCH"));
        assertEquals(EditException.Reason.INVALID_ARGUMENT, e.reason());
        assertEquals("method", e.field());
        assertEquals("unknown recognition method 'NO-SUCH'; known: [TEST-ECHO]", e.getMessage());
        // a method of another phase is unknown to this one
        EditException other = assertThrows(EditException.class, () -> registry.get(Phase.MASTERY, "TEST-ECHO"));
        assertEquals("unknown mastery method 'TEST-ECHO'; known: []", other.getMessage());
        assertTrue(registry.phaseOf("NO-SUCH").isEmpty());
    }

    @Test
    void twoMethodsOfTheSameNameAreAStartupError() {
        EditingMethod<StringBuilder, SpaceState> twin = new EchoTestMethod() {
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MethodRegistry.of(List.of(new EchoTestMethod(), twin)));
        assertTrue(e.getMessage().startsWith("two editing methods are called 'TEST-ECHO'"), e.getMessage());
    }

    @Test
    void anEngineThatLacksTheMethodsContextIsAStartupError() {
        MethodRegistry registry = MethodRegistry.of(List.of(new EchoTestMethod()));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> registry.phase(Phase.RECOGNITION, Integer.class, SpaceState.class));
        assertTrue(e.getMessage().contains("needs context java.lang.StringBuilder"), e.getMessage());
        PhaseMethods<StringBuilder, SpaceState> ok = registry.phase(Phase.RECOGNITION, StringBuilder.class, SpaceState.class);
        assertEquals(List.of("TEST-ECHO"), ok.names());
        assertSame(registry.find("TEST-ECHO").orElseThrow(), ok.get("test-echo"));
        EditException e2 = assertThrows(EditException.class, () -> ok.get("ICE"));
        assertEquals("unknown recognition method 'ICE'; known: [TEST-ECHO]", e2.getMessage());
    }

    @Test
    void validateAndComputeGoThroughTheMethod() {
        EchoTestMethod m = new EchoTestMethod();
        Hparams hp = Hparams.defaults(m.describe(null));
        EditException e = assertThrows(EditException.class,
                () -> m.validate(new StringBuilder(), hp, EditMode.SINGLE, List.of(EditRequest.of("p", "", " "))));
        assertEquals("requests[0].target_new", e.field());
        byte[] payload = m.compute(new StringBuilder(), null, hp, List.of(EditRequest.of("p", "", "Paris")), null).payload();
        assertEquals("Paris", new String(payload, StandardCharsets.UTF_8));
    }

    @Test
    void defaultsPerModelComeFromTheFilesBesideTheMethod(@TempDir Path tmp) {
        try (LanguageModel lm = TinyCheckpoints.buildAndLoad(tmp.resolve("tiny-echo"), "llama", 3)) {
            MethodDescriptor d = MethodRegistry.describe(new EchoTestMethod(), lm, "tiny-echo");
            assertEquals(3, Hparams.defaults(d).getInt("alpha"));
            assertEquals("hparams/TEST-ECHO/tiny-echo.yaml", d.hparamsSource());
            MethodDescriptor other = MethodRegistry.describe(new EchoTestMethod(), lm, "another-dir");
            assertEquals(1, Hparams.defaults(other).getInt("alpha"), "no file: the built-in default");
        }
    }

    /** An echo under another name, optionally its phase's default. */
    private static EchoTestMethod echo(String name, boolean isDefault) {
        return new EchoTestMethod() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean phaseDefault() {
                return isDefault;
            }

            @Override
            public MethodDescriptor describe(LanguageModel lm) {
                MethodDescriptor d = super.describe(lm);
                return new MethodDescriptor(name, d.description(), d.hparams(), d.modes(), d.maxBatchSize(),
                        d.exactRollback(), d.hparamsSource());
            }
        };
    }

    @Test
    void aPhasesDefaultMethodIsListedFirstAndThereIsAtMostOne() {
        MethodRegistry registry = MethodRegistry.of(List.of(echo("A", false), echo("B", true), echo("C", false)));
        assertEquals(List.of("B", "A", "C"), registry.names(Phase.RECOGNITION));
        assertEquals("B", registry.defaultOf(Phase.RECOGNITION).orElseThrow().name());
        assertTrue(registry.defaultOf(Phase.MASTERY).isEmpty());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MethodRegistry.of(List.of(echo("A", true), echo("B", true))));
        assertEquals("the recognition phase has more than one default method: [A, B]", e.getMessage());
    }
}
