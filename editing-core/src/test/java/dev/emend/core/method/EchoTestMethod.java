package dev.emend.core.method;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.HparamType;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.Progress;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.LanguageModel;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A method registered only by this module's test resources
 * ({@code META-INF/services/dev.emend.core.method.EditingMethod}): proof that the registry picks up
 * a method from nothing but its class and that line. Its payload is the requests' targets joined.
 */
public class EchoTestMethod implements EditingMethod<StringBuilder, SpaceState> {
    @Override
    public String name() {
        return "TEST-ECHO";
    }

    @Override
    public Phase phase() {
        return Phase.RECOGNITION;
    }

    @Override
    public Class<StringBuilder> contextType() {
        return StringBuilder.class;
    }

    @Override
    public Class<SpaceState> stateType() {
        return SpaceState.class;
    }

    @Override
    public MethodDescriptor describe(LanguageModel lm) {
        return new MethodDescriptor(name(), "echoes its targets", List.of(HparamSpec.of("alpha", HparamType.INT, 1, 0.0,
                10.0, "a number")), Set.of(EditMode.SINGLE), 1, true, "built-in");
    }

    @Override
    public String rollback() {
        return "exact: the echo is dropped";
    }

    @Override
    public void validate(StringBuilder context, Hparams hparams, EditMode mode, List<EditRequest> requests) {
        if (requests.get(0).targetNew().isBlank()) {
            throw EditException.invalid("requests[0].target_new", "nothing to echo");
        }
    }

    @Override
    public ComputedEdit compute(StringBuilder context, SpaceState state, Hparams hparams, List<EditRequest> requests,
                                Progress progress) {
        byte[] payload = requests.get(0).targetNew().getBytes(StandardCharsets.UTF_8);
        return new ComputedEdit(name(), payload, List.of(List.of()), List.of(Map.of()), List.of());
    }

    @Override
    public void apply(SpaceState state, LedgerUnit unit) {
        throw new UnsupportedOperationException("the registry test never applies");
    }
}
