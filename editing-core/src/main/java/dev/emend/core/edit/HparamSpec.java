package dev.emend.core.edit;

import java.util.List;

/**
 * One hyperparameter of a method, with EasyEdit's field name, its type, the default for the
 * served model, optional inclusive bounds (each element for lists), allowed strings and a
 * description that says what it does and why the default was chosen.
 */
public record HparamSpec(String name, HparamType type, Object defaultValue, Double min, Double max,
                         List<String> allowedValues, String description) {
    public HparamSpec {
        allowedValues = allowedValues == null ? List.of() : List.copyOf(allowedValues);
        description = description == null ? "" : description;
    }

    public static HparamSpec of(String name, HparamType type, Object defaultValue, Double min, Double max,
                                String description) {
        return new HparamSpec(name, type, defaultValue, min, max, List.of(), description);
    }

    public HparamSpec withDefault(Object value) {
        return new HparamSpec(name, type, value, min, max, allowedValues, description);
    }
}
