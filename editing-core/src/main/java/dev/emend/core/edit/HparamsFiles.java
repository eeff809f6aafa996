package dev.emend.core.edit;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Hyperparameter YAML files in EasyEdit's layout and field names, one per method and model:
 * {@code hparams/<METHOD>/<name>.yaml} on the classpath ({@link #withDefaults} takes the first of the
 * candidate names that exists; the phase engines choose through {@link ModelDefaults}, which picks
 * the file by the checkpoint's shape). A file's values become the specs' defaults; a key
 * the method does not declare is a startup error (a typo in a YAML file must not be ignored), as is a key given twice,
 * except EasyEdit's bookkeeping keys ({@code alg_name}, {@code model_name}, {@code device}).
 */
public final class HparamsFiles {
    private static final Set<String> BOOKKEEPING = Set.of("alg_name", "model_name", "device");

    private HparamsFiles() {
    }

    /** The method's specs with defaults from the first matching YAML file (or unchanged). */
    public static MethodDescriptor withDefaults(MethodDescriptor method, ClassLoader loader, String... candidates) {
        for (String candidate : candidates) {
            String resource = "hparams/" + method.name() + "/" + candidate.toLowerCase(Locale.ROOT) + ".yaml";
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    continue;
                }
                Map<String, Object> yaml = parse(in, resource);
                return apply(method, yaml, resource);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + resource, e);
            }
        }
        return method;
    }

    /** A mapping of hparam names to values; a key given twice is an error (PyYAML would keep the last silently). */
    static Map<String, Object> parse(InputStream in, String resource) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        Object root;
        try {
            root = new Yaml(new SafeConstructor(options)).load(in);
        } catch (YAMLException e) {
            throw new IllegalArgumentException(resource + ": " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(resource + ": expected a mapping of hparam names to values");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    static MethodDescriptor apply(MethodDescriptor method, Map<String, Object> yaml, String resource) {
        List<HparamSpec> specs = new ArrayList<>();
        for (HparamSpec spec : method.hparams()) {
            if (yaml.containsKey(spec.name())) {
                Object value;
                try {
                    value = Hparams.coerce(spec, yaml.get(spec.name()), spec.name());
                } catch (EditException e) {
                    throw new IllegalArgumentException(resource + ": " + e.describe(), e);
                }
                specs.add(spec.withDefault(value));
            } else {
                specs.add(spec);
            }
        }
        for (String key : yaml.keySet()) {
            if (!BOOKKEEPING.contains(key) && method.hparam(key).isEmpty()) {
                throw new IllegalArgumentException(resource + ": '" + key + "' is not an hparam of " + method.name()
                        + " (known: " + method.hparams().stream().map(HparamSpec::name).toList() + ")");
            }
        }
        return new MethodDescriptor(method.name(), method.description(), specs, method.modes(), method.maxBatchSize(),
                method.exactRollback(), resource);
    }
}
