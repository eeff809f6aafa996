package dev.emend.core.edit;

import dev.emend.core.model.ModelConfig;
import dev.emend.core.runtime.LanguageModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which hyperparameter defaults a method gets on a loaded model: the one place that decides it for
 * every phase engine.
 *
 * <p>Emend ships EasyEdit's published hyperparameters for seven models ({@link #REFERENCES}) as
 * {@code hparams/<METHOD>/<reference>.yaml} in each phase service. A checkpoint is matched by its
 * config, not by its directory name:
 * <ol>
 *   <li><b>Exact</b>: a reference of the same family, depth, hidden size and vocabulary (Llama 2 7B
 *       and Llama 3 8B differ only in vocabulary: 32000 vs 128256).</li>
 *   <li><b>Scaled</b>: otherwise the nearest reference that publishes the method, searched in the
 *       model's family first, then in the closest families ({@link #closestFamilies}); nearest =
 *       smallest |Δ layers|, then |Δ hidden|, then a different vocabulary. Its values carry over
 *       unchanged except layer indices, which scale by depth: layer ℓ of an L-layer reference
 *       becomes round(ℓ·L′/L) (half up), clamped to [0, L′−1], duplicates dropped (order kept);
 *       {@code v_loss_layer} becomes L′−1; the layer index inside {@code inner_params} module names
 *       scales the same way. No other value changes with size.</li>
 *   <li><b>Built-in</b>: no reference of the family or a close one publishes the method: the
 *       method's own spec defaults.</li>
 * </ol>
 * On top of that an <b>override file</b> {@code hparams/<METHOD>/<model-directory-name>.yaml} (a
 * name that is not one of the references) wins key by key; the default model's
 * {@code emend-facts.yaml} files are such overrides and set every hparam, so they give exactly what
 * they gave before per-model defaults existed.
 */
public final class ModelDefaults {
    /** A model EasyEdit publishes hyperparameters for; {@code file} is the YAML file's base name. */
    public record Reference(String file, String family, int numLayers, int hiddenSize, int vocabSize) {
        String shape() {
            return family + ", " + numLayers + " layers, hidden " + hiddenSize + ", vocab " + vocabSize;
        }
    }

    /** A checkpoint as the selection reads it: the family's name and three config numbers. */
    public record Shape(String family, int numLayers, int hiddenSize, int vocabSize) {
        public static Shape of(String family, ModelConfig config) {
            return new Shape(family, config.numLayers(), config.hiddenSize(), config.vocabSize());
        }

        public static Shape of(LanguageModel lm) {
            return of(lm.family().name(), lm.config());
        }
    }

    /** How the base values were chosen (before an override file). */
    public enum Kind { EXACT, SCALED, BUILT_IN }

    /**
     * The decision for one method on one model.
     *
     * @param reference        the reference whose file gave the base values (absent for BUILT_IN)
     * @param referenceResource its classpath resource
     * @param overrideResource the override file, if one exists
     * @param values           the hparam values the files give (scaled base, then the override's keys)
     * @param overrideKeys     the keys the override file sets
     * @param baseWhy          one line for people: which base values were chosen and why
     */
    public record Choice(String method, Kind kind, Optional<Reference> reference, String referenceResource,
                         Optional<String> overrideResource, Map<String, Object> values, Set<String> overrideKeys,
                         String baseWhy) {
        /** One line for people, override included, for a method with these hparams. */
        public String why(MethodDescriptor method) {
            if (overrideResource.isEmpty()) {
                return baseWhy;
            }
            List<String> set = method.hparams().stream().map(HparamSpec::name).filter(overrideKeys::contains).toList();
            String o = "override file " + overrideResource.get();
            return set.size() == method.hparams().size() ? o + " (sets every hparam)"
                    : o + " sets " + (set.isEmpty() ? "nothing" : String.join(", ", set)) + "; the rest: " + baseWhy;
        }
    }

    /** The seven models of EasyEdit's {@code hparams/} that Emend carries, with their real config numbers. */
    public static final List<Reference> REFERENCES = List.of(
            new Reference("gpt2-xl", "gpt2", 48, 1600, 50257),
            new Reference("gpt-j-6b", "gptj", 28, 4096, 50400),
            new Reference("llama-7b", "llama", 32, 4096, 32000),
            new Reference("llama3-8b", "llama", 32, 4096, 128256),
            new Reference("llama3.2-3b", "llama", 28, 3072, 128256),
            new Reference("mistral-7b", "mistral", 32, 4096, 32000),
            new Reference("qwen2.5-7b", "qwen2", 28, 3584, 152064));

    /**
     * Families searched, in order, for a method's reference. Llama, Mistral and Qwen share the
     * block layout and EasyEdit module names ({@code model.layers[L].mlp.down_proj}), so their
     * files stand in for each other; GPT-2 and GPT-J name their modules differently and only use
     * their own. Qwen3 has no reference of its own and starts at Qwen2.
     */
    static List<String> closestFamilies(String family) {
        return switch (family) {
            case "llama" -> List.of("llama", "mistral", "qwen2");
            case "mistral" -> List.of("mistral", "llama", "qwen2");
            case "qwen2" -> List.of("qwen2", "llama", "mistral");
            case "qwen3" -> List.of("qwen2", "llama", "mistral");
            default -> List.of(family);
        };
    }

    /** Keys whose values are lists of layer indices, scaled by depth. */
    static final Set<String> LAYER_LISTS = Set.of("layers");
    /** Keys that must name the last layer. */
    static final Set<String> LAST_LAYER = Set.of("v_loss_layer");
    /** Keys whose values are module names with one layer index in brackets ({@code model.layers[27].mlp...}). */
    static final Set<String> MODULE_LISTS = Set.of("inner_params");
    private static final Pattern BRACKET_INDEX = Pattern.compile("\\[(\\d+)]");

    private ModelDefaults() {
    }

    /** The method's specs with defaults as {@link #choose} decides; the descriptor's source says where from. */
    public static MethodDescriptor withDefaults(MethodDescriptor method, ClassLoader loader, String modelName, Shape shape) {
        Choice c = choose(method.name(), loader, modelName, shape);
        if (c.values().isEmpty()) {
            return method;
        }
        boolean overrideIsComplete = c.overrideResource().isPresent()
                && method.hparams().stream().allMatch(h -> c.overrideKeys().contains(h.name()));
        String base = c.kind() == Kind.BUILT_IN ? "built-in" : c.referenceResource()
                + (c.kind() == Kind.SCALED ? " (" + scaling(c.reference().orElseThrow(), shape) + ")" : "");
        String source = c.overrideResource().map(o -> overrideIsComplete ? o : o + " over " + base).orElse(base);
        return HparamsFiles.apply(method, c.values(), source);
    }

    /** Decides where {@code method}'s defaults come from on a model called {@code modelName} of {@code shape}. */
    public static Choice choose(String method, ClassLoader loader, String modelName, Shape shape) {
        Optional<Reference> ref = nearest(method, loader, shape);
        Map<String, Object> values = new LinkedHashMap<>();
        Kind kind = Kind.BUILT_IN;
        String refResource = "";
        String why;
        if (ref.isPresent()) {
            Reference r = ref.get();
            refResource = resource(method, r.file());
            Map<String, Object> base = read(loader, refResource).orElseThrow();
            boolean exact = r.family().equals(shape.family()) && r.numLayers() == shape.numLayers()
                    && r.hiddenSize() == shape.hiddenSize() && r.vocabSize() == shape.vocabSize();
            kind = exact ? Kind.EXACT : Kind.SCALED;
            values.putAll(exact ? base : scale(base, r.numLayers(), shape.numLayers()));
            why = exact ? "exact match: " + r.file() + " (" + r.shape() + ")"
                    : "nearest published model " + r.file() + " (" + r.shape() + "), " + scaling(r, shape);
        } else {
            why = "built-in: EasyEdit publishes no " + method + " file for family '" + shape.family()
                    + "' or a family close to it";
        }
        Optional<String> override = Optional.empty();
        Set<String> overrideKeys = Set.of();
        if (modelName != null && !modelName.isBlank() && REFERENCES.stream().noneMatch(r -> r.file().equalsIgnoreCase(modelName))) {
            String o = resource(method, modelName);
            Optional<Map<String, Object>> yaml = read(loader, o);
            if (yaml.isPresent()) {
                override = Optional.of(o);
                overrideKeys = new LinkedHashSet<>(yaml.get().keySet());
                values.putAll(yaml.get());
            }
        }
        return new Choice(method, kind, ref, refResource, override, Collections.unmodifiableMap(values),
                Collections.unmodifiableSet(overrideKeys), why);
    }

    private static String scaling(Reference r, Shape shape) {
        return r.numLayers() == shape.numLayers() ? "same depth " + r.numLayers() + ", layers unchanged"
                : "layers scaled " + r.numLayers() + " -> " + shape.numLayers();
    }

    /** The nearest reference that publishes {@code method}, searching the closest families in order. */
    static Optional<Reference> nearest(String method, ClassLoader loader, Shape shape) {
        Comparator<Reference> byDistance = Comparator
                .<Reference>comparingInt(r -> Math.abs(r.numLayers() - shape.numLayers()))
                .thenComparingInt(r -> Math.abs(r.hiddenSize() - shape.hiddenSize()))
                .thenComparingInt(r -> r.vocabSize() == shape.vocabSize() ? 0 : 1);
        for (String family : closestFamilies(shape.family())) {
            Optional<Reference> best = REFERENCES.stream()
                    .filter(r -> r.family().equals(family))
                    .filter(r -> loader.getResource(resource(method, r.file())) != null)
                    .min(byDistance);
            if (best.isPresent()) {
                return best;
            }
        }
        return Optional.empty();
    }

    /** Layer ℓ of an L-layer model at depth L′: round(ℓ·L′/L) half up, clamped to [0, L′−1]. */
    public static int scaleLayer(int layer, int fromLayers, int toLayers) {
        long scaled = Math.round((double) layer * toLayers / fromLayers);
        return (int) Math.max(0, Math.min(toLayers - 1, scaled));
    }

    /** A reference file's values at another depth (see the class comment); other values unchanged. */
    static Map<String, Object> scale(Map<String, Object> yaml, int fromLayers, int toLayers) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : yaml.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            if (LAYER_LISTS.contains(key) && v instanceof List<?> list) {
                Set<Integer> layers = new LinkedHashSet<>();
                for (Object o : list) {
                    layers.add(scaleLayer(((Number) o).intValue(), fromLayers, toLayers));
                }
                v = new ArrayList<>(layers);
            } else if (LAST_LAYER.contains(key)) {
                v = toLayers - 1;
            } else if (MODULE_LISTS.contains(key) && v instanceof List<?> list) {
                List<Object> names = new ArrayList<>();
                for (Object o : list) {
                    names.add(scaleModuleName(String.valueOf(o), fromLayers, toLayers));
                }
                v = names;
            }
            out.put(key, v);
        }
        return out;
    }

    private static String scaleModuleName(String name, int fromLayers, int toLayers) {
        Matcher m = BRACKET_INDEX.matcher(name);
        if (!m.find()) {
            return name;
        }
        int layer = scaleLayer(Integer.parseInt(m.group(1)), fromLayers, toLayers);
        return name.substring(0, m.start()) + "[" + layer + "]" + name.substring(m.end());
    }

    static String resource(String method, String model) {
        return "hparams/" + method + "/" + model.toLowerCase(Locale.ROOT) + ".yaml";
    }

    private static Optional<Map<String, Object>> read(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            return in == null ? Optional.empty() : Optional.of(HparamsFiles.parse(in, resource));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
