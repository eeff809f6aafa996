package dev.emend.cli;

import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.edit.Phase;
import dev.emend.core.method.MethodRegistry;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.runtime.LanguageModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "model-info", mixinStandardHelpOptions = true,
        description = "Load a checkpoint and print its architecture, size, fingerprint, tokenizer, special-token policy"
                + " (BOS added or not and why, every EOS id) and the editing defaults each method would use on it"
                + " (which hparams file, why, and the resolved values).")
final class ModelInfoCommand implements Callable<Integer> {
    @Mixin
    ModelOption modelOption;

    @Spec
    CommandSpec spec;

    @Option(names = "--method", paramLabel = "METHOD",
            description = "Show the editing defaults of this method only (one of those listed without --method).")
    String method;

    @Option(names = "--json", description = "Print the family and the editing defaults as JSON.")
    boolean json;

    /** Unique parameters: the family's tensors minus those tied to another (GPT-2's lm_head). */
    static long parameterCount(LanguageModel lm) {
        Map<String, String> tied = lm.model().tiedParameters();
        long n = 0;
        for (Map.Entry<String, Shape> e : lm.model().parameterShapes().entrySet()) {
            if (!tied.containsKey(e.getKey())) {
                n += e.getValue().size();
            }
        }
        return n;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = modelOption.load()) {
            List<MethodDescriptor> methods = editingMethods(lm);
            if (json) {
                out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(editingDefaultsJson(lm, methods)));
                out.flush();
                return 0;
            }
            ModelConfig c = lm.config();
            row(out, "family", lm.family().name());
            row(out, "model_type", c.modelType());
            row(out, "layers", c.numLayers());
            row(out, "d_model", c.hiddenSize());
            row(out, "heads", c.numHeads() + " (kv heads " + c.numKvHeads() + ", head dim " + c.headDim() + ")");
            row(out, "d_ff", c.intermediateSize());
            row(out, "context", c.maxPositions());
            row(out, "vocab", c.vocabSize() + " (tokenizer " + lm.tokenizer().vocabSize() + " ids)");
            row(out, "tied embeddings", c.tieWordEmbeddings());
            row(out, "parameters", String.format(Locale.ROOT, "%,d", parameterCount(lm)));
            row(out, "weights", dev.emend.core.runtime.Checkpoints.storedType(lm.weights()) + " (computed in "
                    + lm.model().computeType() + ", device " + lm.manager().getDevice() + ")");
            row(out, "fingerprint", lm.fingerprint());
            // Special-token policy: "bos: added, 128000 <|begin_of_text|> (why)", "eos: ids (from where)".
            for (String line : lm.specialTokens().describe(lm.tokenizer())) {
                int colon = line.indexOf(": ");
                row(out, line.substring(0, colon), line.substring(colon + 2));
            }
            row(out, "directory", lm.directory().toAbsolutePath());
            printEditingDefaults(out, lm, methods);
        }
        out.flush();
        return 0;
    }

    // ------------------------------------------------------------------ editing defaults (issue 14, item 4)

    /** The name override files are looked up by, as the services do by default: the checkpoint's directory name. */
    private static String modelName(LanguageModel lm) {
        return lm.directory().toAbsolutePath().normalize().getFileName().toString();
    }

    /**
     * The editing methods on the classpath ({@link MethodRegistry}: the mastery, association and
     * recognition method libraries, whose methods read hparams files), weight editing first, with this model's
     * defaults, filtered by {@code --method}.
     */
    private List<MethodDescriptor> editingMethods(LanguageModel lm) {
        MethodRegistry registry = MethodRegistry.load(ModelInfoCommand.class.getClassLoader());
        List<MethodDescriptor> all = new ArrayList<>();
        for (Phase phase : List.of(Phase.MASTERY, Phase.ASSOCIATION, Phase.RECOGNITION)) {
            registry.ofPhase(phase).forEach(m -> all.add(MethodRegistry.describe(m, lm, modelName(lm))));
        }
        if (method == null) {
            return all;
        }
        return List.of(MethodDescriptor.find(all, method).orElseThrow(() -> new IllegalArgumentException("--method: unknown"
                + " method '" + method + "'; known: " + all.stream().map(MethodDescriptor::name).toList())));
    }

    private static ModelDefaults.Choice choice(LanguageModel lm, MethodDescriptor m) {
        return ModelDefaults.choose(m.name(), ModelInfoCommand.class.getClassLoader(), modelName(lm), ModelDefaults.Shape.of(lm));
    }

    /** Per method: why its defaults come from where they do, the file(s), and every resolved value. */
    private static void printEditingDefaults(PrintWriter out, LanguageModel lm, List<MethodDescriptor> methods) {
        out.println();
        out.println("editing defaults (EasyEdit's per-model files chosen by family and size; override file"
                + " hparams/<METHOD>/" + modelName(lm) + ".yaml wins):");
        for (MethodDescriptor m : methods) {
            out.printf(Locale.ROOT, "  %-10s %s%n", m.name(), choice(lm, m).why(m));
            out.printf(Locale.ROOT, "  %-10s source: %s%n", "", m.hparamsSource().isEmpty() ? "built-in" : m.hparamsSource());
            Map<String, Object> values = Hparams.defaults(m).asMap();
            List<String> parts = new ArrayList<>();
            for (HparamSpec h : m.hparams()) {
                parts.add(h.name() + "=" + values.get(h.name()));
            }
            out.printf(Locale.ROOT, "  %-10s %s%n", "", String.join(" ", parts));
        }
    }

    private static JsonObject editingDefaultsJson(LanguageModel lm, List<MethodDescriptor> methods) {
        var gson = new GsonBuilder().create();
        JsonObject o = new JsonObject();
        o.addProperty("family", lm.family().name());
        o.addProperty("layers", lm.config().numLayers());
        o.addProperty("d_model", lm.config().hiddenSize());
        o.addProperty("vocab", lm.config().vocabSize());
        o.addProperty("directory", lm.directory().toAbsolutePath().toString());
        JsonArray arr = new JsonArray();
        for (MethodDescriptor m : methods) {
            ModelDefaults.Choice c = choice(lm, m);
            JsonObject e = new JsonObject();
            e.addProperty("method", m.name());
            e.addProperty("kind", c.kind().name().toLowerCase(Locale.ROOT));
            c.reference().ifPresent(r -> e.addProperty("reference", r.file()));
            c.overrideResource().ifPresent(r -> e.addProperty("override", r));
            e.addProperty("source", m.hparamsSource().isEmpty() ? "built-in" : m.hparamsSource());
            e.addProperty("why", c.why(m));
            e.add("hparams", gson.toJsonTree(Hparams.defaults(m).asMap()));
            arr.add(e);
        }
        o.add("editing_defaults", arr);
        return o;
    }

    // ------------------------------------------------------------------ end of editing defaults

    private static void row(PrintWriter out, String key, Object value) {
        out.printf(Locale.ROOT, "%-16s %s%n", key + ":", value);
    }
}
