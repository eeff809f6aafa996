package dev.emend.core.edit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The effective hyperparameters of one edit: every spec's default, overridden by the request's
 * values after validation. Values are Integer, Double, Boolean, String or lists of them, exactly
 * as they appear in EasyEdit's YAML, so {@link #asMap()} is what the ledger stores.
 */
public final class Hparams {
    private final Map<String, Object> values;

    private Hparams(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** The defaults of a method, unvalidated overrides applied on top (see {@link #resolve}). */
    public static Hparams defaults(MethodDescriptor method) {
        return resolve(method, Map.of());
    }

    /**
     * Validates {@code overrides} against the method's specs and returns defaults + overrides.
     * Unknown names, wrong types and out-of-range values throw INVALID_ARGUMENT naming
     * {@code hparams.<name>}.
     */
    public static Hparams resolve(MethodDescriptor method, Map<String, ?> overrides) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (HparamSpec spec : method.hparams()) {
            out.put(spec.name(), spec.defaultValue());
        }
        if (overrides != null) {
            for (Map.Entry<String, ?> e : overrides.entrySet()) {
                HparamSpec spec = method.hparam(e.getKey()).orElseThrow(() -> EditException.invalid(
                        "hparams." + e.getKey(), "unknown hparam of " + method.name() + "; known: "
                                + new TreeSet<>(method.hparams().stream().map(HparamSpec::name).toList())));
                out.put(spec.name(), coerce(spec, e.getValue(), "hparams." + spec.name()));
            }
        }
        return new Hparams(out);
    }

    /** Restores hparams read back from the ledger (already validated when committed). */
    public static Hparams of(Map<String, Object> stored) {
        return new Hparams(new LinkedHashMap<>(stored));
    }

    /** Converts and checks one value against its spec; {@code field} names it in errors. */
    public static Object coerce(HparamSpec spec, Object value, String field) {
        if (value == null) {
            throw EditException.invalid(field, "null is not a " + spec.type().name().toLowerCase() + "; leave the hparam out to use the default");
        }
        return switch (spec.type()) {
            case INT -> checkRange(spec, toInt(value, field), field);
            case FLOAT -> checkRange(spec, toDouble(value, field), field);
            case BOOL -> {
                if (value instanceof Boolean b) {
                    yield b;
                }
                throw EditException.invalid(field, "expected true or false, got " + describe(value));
            }
            case STRING -> {
                if (!(value instanceof String s)) {
                    throw EditException.invalid(field, "expected a string, got " + describe(value));
                }
                if (!spec.allowedValues().isEmpty() && !spec.allowedValues().contains(s)) {
                    throw EditException.invalid(field, "'" + s + "' is not one of " + spec.allowedValues());
                }
                yield s;
            }
            case INT_LIST, FLOAT_LIST, STRING_LIST -> {
                if (!(value instanceof List<?> list)) {
                    throw EditException.invalid(field, "expected a list, got " + describe(value));
                }
                List<Object> items = new ArrayList<>();
                HparamType element = switch (spec.type()) {
                    case INT_LIST -> HparamType.INT;
                    case FLOAT_LIST -> HparamType.FLOAT;
                    default -> HparamType.STRING;
                };
                HparamSpec elementSpec = new HparamSpec(spec.name(), element, null, spec.min(), spec.max(),
                        spec.allowedValues(), spec.description());
                for (int i = 0; i < list.size(); i++) {
                    items.add(coerce(elementSpec, list.get(i), field + "[" + i + "]"));
                }
                yield List.copyOf(items);
            }
        };
    }

    private static Object checkRange(HparamSpec spec, Number n, String field) {
        double v = n.doubleValue();
        if (spec.min() != null && v < spec.min()) {
            throw EditException.invalid(field, n + " is below the minimum " + fmt(spec.min()));
        }
        if (spec.max() != null && v > spec.max()) {
            throw EditException.invalid(field, n + " is above the maximum " + fmt(spec.max()));
        }
        return n;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private static Integer toInt(Object value, String field) {
        if (value instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
                return (int) d;
            }
        }
        throw EditException.invalid(field, "expected a whole number, got " + describe(value));
    }

    private static Double toDouble(Object value, String field) {
        if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
        }
        throw EditException.invalid(field, "expected a finite number, got " + describe(value));
    }

    private static String describe(Object value) {
        return value instanceof String s ? "the string '" + s + "'" : String.valueOf(value);
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public int getInt(String name) {
        return ((Number) require(name)).intValue();
    }

    public double getDouble(String name) {
        return ((Number) require(name)).doubleValue();
    }

    public float getFloat(String name) {
        return ((Number) require(name)).floatValue();
    }

    public boolean getBool(String name) {
        return (Boolean) require(name);
    }

    public String getString(String name) {
        return (String) require(name);
    }

    public List<Integer> getIntList(String name) {
        return ((List<?>) require(name)).stream().map(o -> ((Number) o).intValue()).toList();
    }

    public List<Double> getDoubleList(String name) {
        return ((List<?>) require(name)).stream().map(o -> ((Number) o).doubleValue()).toList();
    }

    @SuppressWarnings("unchecked")
    public List<String> getStringList(String name) {
        return (List<String>) require(name);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    private Object require(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalStateException("hparam '" + name + "' has no value: declare it in the method's specs");
        }
        return v;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
