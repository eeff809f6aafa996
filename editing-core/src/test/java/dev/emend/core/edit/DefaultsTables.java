package dev.emend.core.edit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Test support shared with the phase services (editing-core test-jar): checks that a method's
 * defaults on a reference model's shape are the values a table line states. A line reads
 * {@code "METHOD reference key=value ..."} with values as {@code [a,b]}, numbers, booleans or strings.
 */
public final class DefaultsTables {
    private DefaultsTables() {
    }

    /** The real config numbers of one of {@link ModelDefaults#REFERENCES}. */
    public static ModelDefaults.Shape shapeOf(String reference) {
        ModelDefaults.Reference r = ModelDefaults.REFERENCES.stream().filter(x -> x.file().equals(reference)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not a reference model: " + reference));
        return new ModelDefaults.Shape(r.family(), r.numLayers(), r.hiddenSize(), r.vocabSize());
    }

    /**
     * Resolves the line's method on the line's model shape (directory name "checkpoint", so no
     * override file applies), asserts every stated value and returns the resolved hparams.
     *
     * @param descriptorsAtDepth the phase's method descriptors for a model of that many layers
     */
    public static Hparams assertLine(String line, IntFunction<List<MethodDescriptor>> descriptorsAtDepth, ClassLoader loader) {
        String[] parts = line.trim().split(" ");
        ModelDefaults.Shape shape = shapeOf(parts[1]);
        MethodDescriptor method = MethodDescriptor.find(descriptorsAtDepth.apply(shape.numLayers()), parts[0]).orElseThrow();
        Hparams hp = Hparams.defaults(ModelDefaults.withDefaults(method, loader, "checkpoint", shape));
        for (int i = 2; i < parts.length; i++) {
            String key = parts[i].substring(0, parts[i].indexOf('='));
            String value = parts[i].substring(parts[i].indexOf('=') + 1);
            assertEquals(parse(value), normalise(hp.asMap().get(key)), parts[0] + " " + parts[1] + " " + key);
        }
        return hp;
    }

    /**
     * The default model's {@code emend-facts.yaml} override files give exactly what they gave before
     * per-model defaults existed (the first file found, applied to the built-in specs) and name
     * themselves as the source.
     */
    public static void assertDefaultModelUnchanged(List<MethodDescriptor> methods, ClassLoader loader, ModelDefaults.Shape shape) {
        for (MethodDescriptor m : methods) {
            MethodDescriptor before = HparamsFiles.withDefaults(m, loader, "emend-facts");
            MethodDescriptor now = ModelDefaults.withDefaults(m, loader, "emend-facts", shape);
            assertEquals(Hparams.defaults(before).asMap(), Hparams.defaults(now).asMap(), m.name());
            assertEquals("hparams/" + m.name() + "/emend-facts.yaml", now.hparamsSource());
            assertEquals("override file hparams/" + m.name() + "/emend-facts.yaml (sets every hparam)",
                    ModelDefaults.choose(m.name(), loader, "emend-facts", shape).why(m));
        }
    }

    private static Object parse(String v) {
        if (v.startsWith("[") && v.endsWith("]")) {
            String inner = v.substring(1, v.length() - 1);
            List<Object> out = new ArrayList<>();
            if (!inner.isEmpty()) {
                for (String s : inner.split(",")) {
                    out.add(parse(s));
                }
            }
            return out;
        }
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }

    /** Numbers as doubles, lists element-wise, so 4 and 4.0 compare equal. */
    private static Object normalise(Object o) {
        if (o instanceof Number n) {
            return n.doubleValue();
        }
        if (o instanceof List<?> l) {
            return l.stream().map(DefaultsTables::normalise).toList();
        }
        return o;
    }
}
