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
 * the method's {@link TrainableMethod} (found in the registry), and writes it where MEND reads it;
 * with {@code --remote}, the running mastery service trains it for its served model instead (a
 * training operation of the gateway, followed with a progress line).
 */
@Command(name = "train-mend", mixinStandardHelpOptions = true,
        description = {"Train the MEND editor network for a model on KnowEdit training splits (in-process; with --remote "
                + "the running mastery service trains it for the model it serves, through the gateway).",
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

    @Option(names = "--remote", description = "Train through the running gateway (POST /v1/methods/MEND/training) for the "
            + "served model: --train paths are read by the mastery service (inside its data set directories, relative to its "
            + "data directory; default: its zsRE and counterfact training splits); progress is followed like ./emend edit.")
    boolean remote;

    @Option(names = "--idempotency-key", description = "With --remote: names the training operation (a retry with the same "
            + "key and options returns the same operation).")
    String idempotencyKey;

    @Option(names = "--no-wait", description = "With --remote: print the operation id and return at once "
            + "(./emend operations ID --follow follows it).")
    boolean noWait;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Map<String, Object> overrides = new LinkedHashMap<>();
        set.forEach((k, v) -> overrides.put(k, value(v)));
        if (remote) {
            return remote(overrides);
        }
        if (idempotencyKey != null || noWait) {
            throw new IllegalArgumentException("--idempotency-key and --no-wait apply to --remote only");
        }
        List<Path> files = train.isEmpty() ? List.of(EmendCli.repoRoot().resolve("benchmarks/emend-facts/zsre-train.json"),
                EmendCli.repoRoot().resolve("benchmarks/emend-facts/counterfact-train.json")) : train;
        // The method is found through the registry like every other: this command knows MEND only by name.
        TrainableMethod mend = MethodRegistry.load().find("MEND").filter(TrainableMethod.class::isInstance)
                .map(TrainableMethod.class::cast).orElseThrow(() -> new IllegalStateException(
                        "no trainable method MEND on the classpath (mastery-methods is missing from this build)"));
        PrintWriter w = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        Path file = mend.train(new TrainableMethod.TrainingRequest(modelOption.dir(), files, valFraction, overrides, out, resume,
                force, false), dev.emend.core.edit.Progress.NONE, line -> {
                    w.println(line);
                    w.flush();
                });
        w.printf(Locale.ROOT, "done in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, file);
        w.flush();
        return 0;
    }

    /** The training as a gateway operation: the served model, so no --model, --out or --resume. */
    private int remote(Map<String, Object> overrides) {
        if (modelOption.model != null || out != null || resume) {
            throw new IllegalArgumentException("--remote trains the editor of the model the mastery service serves, where MEND "
                    + "reads it: leave out --model, --out and --resume (name another editor with --set editor=NAME)");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        if (!train.isEmpty()) {
            body.put("train_files", train.stream().map(Path::toString).toList());
        }
        body.put("val_fraction", valFraction);
        body.put("hparams", overrides);
        body.put("overwrite", force);
        PrintWriter w = spec.commandLine().getOut();
        return dev.emend.cli.remote.RemoteTraining.run("MEND", body, idempotencyKey, noWait, w, spec.commandLine().getErr());
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
