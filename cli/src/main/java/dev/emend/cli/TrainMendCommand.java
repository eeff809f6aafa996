package dev.emend.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.mend.MendEditorFile;
import dev.emend.mastery.mend.MendHyperParams;
import dev.emend.mastery.mend.MendNetwork;
import dev.emend.mastery.mend.MendTrainer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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
 * {@code ./emend train-mend}: trains MEND's editor network for a model, in this process
 * ({@link MendTrainer}), and writes it where the MEND method reads it.
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
        Path dir = modelOption.dir();
        Map<String, Object> overrides = new LinkedHashMap<>();
        set.forEach((k, v) -> overrides.put(k, value(v)));
        List<Path> files = train.isEmpty() ? List.of(EmendCli.repoRoot().resolve("benchmarks/emend-facts/zsre-train.json"),
                EmendCli.repoRoot().resolve("benchmarks/emend-facts/counterfact-train.json")) : train;
        List<MendTrainer.Case> trainCases = new ArrayList<>();
        List<MendTrainer.Case> valCases = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("--train " + f + ": no such file");
            }
            List<List<MendTrainer.Case>> split = MendTrainer.holdOut(MendTrainer.readCases(f), valFraction);
            trainCases.addAll(split.get(0));
            valCases.addAll(split.get(1));
        }
        PrintWriter w = spec.commandLine().getOut();
        try (LanguageModel lm = Checkpoints.load(dir)) {
            MendHyperParams hp = MendTrainer.hyperParams(lm, dir.getFileName().toString(), overrides);
            Path file = out != null ? out.toAbsolutePath().normalize() : MendEditorFile.resolve(lm, hp.editor());
            MendNetwork net;
            if (resume) {
                net = MendEditorFile.read(file, lm, hp);
            } else {
                if (Files.exists(file) && !force) {
                    throw new IllegalArgumentException(file + " already holds an editor: --resume to continue it, --force to "
                            + "train a new one over it");
                }
                net = MendNetwork.initial(lm.model(), hp);
            }
            Map<String, String> info = new LinkedHashMap<>();
            info.put("train_files", files.stream().map(p -> p.getFileName().toString()).toList().toString());
            info.put("train_cases", Integer.toString(trainCases.size()));
            info.put("val_cases", Integer.toString(valCases.size()));
            info.put("written", Instant.now().toString());
            info.put("training", String.format(Locale.ROOT, "lr=%g lr_lr=%g edit_lr=%g cedit=%g cloc=%g max_iters=%d accumulate_bs=%d "
                    + "grad_clip=%g seed=%d", hp.lr(), hp.lrLr(), hp.editLr(), hp.cedit(), hp.cloc(), hp.maxIters(),
                    hp.accumulateBs(), hp.gradClip(), hp.seed()));
            w.printf(Locale.ROOT, "MEND editor for %s (%s): %d trainable values, %d targets %s, %d training / %d validation cases, "
                            + "steps %d -> %d, writing %s%n", dir, lm.fingerprint(), net.size(), net.targets().size(),
                    hp.structure(), trainCases.size(), valCases.size(), net.steps(), hp.maxIters(), file);
            w.flush();
            long t0 = System.nanoTime();
            new MendTrainer(lm).train(net, trainCases, valCases, file, info, r -> {
                if (r.step() % 10 == 0 || !Double.isNaN(r.valEs()) || r.saved()) {
                    w.println(r.line());
                    w.flush();
                }
            });
            w.printf(Locale.ROOT, "done in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, file);
            w.flush();
        }
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
