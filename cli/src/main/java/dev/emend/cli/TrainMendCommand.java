package dev.emend.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.emend.core.method.MethodRegistry;
import dev.emend.core.method.TrainableMethod;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ./emend train-mend}: trains MEND's editor network for a model, in this process, through
 * the method's {@link TrainableMethod} (found in the registry), and writes it where MEND reads it.
 */
@Command(name = "train-mend", mixinStandardHelpOptions = true,
        description = {"Train the MEND editor network for a model on KnowEdit training splits (in-process).",
            "Hyperparameters are MEND's per-model defaults (as /v1/methods lists them) under --set overrides.",
            "Writes <model-dir>/mend/<editor>.safetensors (with the model's fingerprint) after every validation, so an "
                    + "interrupted run leaves the last checkpoint; --resume continues it."})
final class TrainMendCommand implements Callable<Integer> {
    @Mixin
    ModelOption modelOption;

    @Option(names = "--train", paramLabel = "FILE",
            description = "KnowEdit training file, repeatable (default: benchmarks/emend-facts/zsre-train.json and counterfact-train.json).")
    List<Path> train = new ArrayList<>();

    @Option(names = "--val-fraction", defaultValue = "0.1",
            description = "Share of each training file (its last records) held out for validation (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--set", paramLabel = "NAME=VALUE",
            description = "Override a MEND hparam, repeatable: --set max_iters=2000 --set lr=1e-4 --set layers=[3,4,5].")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--out", paramLabel = "FILE",
            description = "Editor file (default: <model-dir>/mend/<editor hparam>.safetensors).")
    Path out;

    @Option(names = "--resume", description = "Continue the editor at the output file from its step (its hparams must match).")
    boolean resume;

    @Option(names = "--force", description = "Overwrite an existing editor instead of refusing.")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Map<String, Object> overrides = new LinkedHashMap<>();
        set.forEach((k, v) -> overrides.put(k, value(v)));
        List<Path> files = train.isEmpty() ? List.of(EmendCli.repoRoot().resolve("benchmarks/emend-facts/zsre-train.json"),
                EmendCli.repoRoot().resolve("benchmarks/emend-facts/counterfact-train.json")) : train;
        // The method is found through the registry like every other: this command knows MEND only by name.
        TrainableMethod mend = MethodRegistry.load().find("MEND").filter(TrainableMethod.class::isInstance)
                .map(TrainableMethod.class::cast).orElseThrow(() -> new IllegalStateException(
                        "no trainable method MEND on the classpath (mastery-methods is missing from this build)"));
        PrintWriter w = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        Path file = mend.train(new TrainableMethod.TrainingRequest(modelOption.dir(), files, valFraction, overrides, out, resume,
                force), line -> {
                    w.println(line);
                    w.flush();
                });
        w.printf(Locale.ROOT, "done in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, file);
        w.flush();
        return 0;
    }

    /** A --set value: JSON when it parses (numbers, true/false, lists), else the text itself. */
    static Object value(String text) {
        try {
            return plain(JsonParser.parseString(text));
        } catch (RuntimeException e) {
            return text;
        }
    }

    private static Object plain(JsonElement e) {
        if (e.isJsonArray()) {
            List<Object> out = new ArrayList<>();
            e.getAsJsonArray().forEach(x -> out.add(plain(x)));
            return out;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
            return e.getAsBoolean();
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            return e.getAsDouble();
        }
        return e.getAsString();
    }
}
