package dev.emend.core.method;

import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.LanguageModel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The methods of one phase, typed for its engine's context {@code C} and state {@code S}
 * ({@link MethodRegistry#phase}): what an engine dispatches through.
 */
public final class PhaseMethods<C, S extends SpaceState> {
    private final Phase phase;
    private final Map<String, EditingMethod<C, S>> byName = new LinkedHashMap<>();

    PhaseMethods(Phase phase, List<EditingMethod<C, S>> methods) {
        this.phase = phase;
        methods.forEach(m -> byName.put(m.name().toUpperCase(Locale.ROOT), m));
    }

    public Phase phase() {
        return phase;
    }

    public List<EditingMethod<C, S>> all() {
        return List.copyOf(byName.values());
    }

    public List<String> names() {
        return byName.values().stream().map(EditingMethod::name).toList();
    }

    /** A method by name, case-insensitive, or INVALID_ARGUMENT on {@code method} listing the phase's methods. */
    public EditingMethod<C, S> get(String name) {
        EditingMethod<C, S> m = byName.get(name == null ? "" : name.trim().toUpperCase(Locale.ROOT));
        if (m == null) {
            throw MethodRegistry.unknown(phase, name, names());
        }
        return m;
    }

    /** Every method's descriptor with the defaults {@link MethodRegistry#describe} gives on {@code lm}. */
    public List<MethodDescriptor> describe(LanguageModel lm, String modelName) {
        return byName.values().stream().map(m -> MethodRegistry.describe(m, lm, modelName)).toList();
    }

    /** Applies a committed unit with the method that computed it. */
    public void apply(S state, LedgerUnit unit) {
        get(unit.method()).apply(state, unit);
    }
}
