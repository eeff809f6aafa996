package dev.emend.cli;

import dev.emend.factworld.check.FactsCheck;
import dev.emend.factworld.train.FactModelBuilder;
import dev.emend.factworld.train.LmTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train-facts", mixinStandardHelpOptions = true,
        defaultValueProvider = TrainFactsCommand.Defaults.class,
        description = {"Train the default fact-world model from scratch.",
            "Writes the fact world, a byte-level BPE tokenizer, a GPT-2 trained on the world's corpus, the checkpoint (Hugging Face format), facts.json and training-report.json.",
            "Defaults come from FactModelBuilder.Spec.defaults(). Takes hours on a CPU at the default size."})
final class TrainFactsCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR",
            description = "Output checkpoint directory (default: $EMEND_MODEL_DIR, else <repo>/models/emend-facts).")
    Path out;

    @Option(names = "--epochs", description = "Training epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--layers", description = "Transformer layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--hidden", description = "Model width d_model (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--heads", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--context", description = "Context length in tokens (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--vocab", description = "Tokenizer vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--batch", description = "Sequences per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--seed", description = "Seed of the fact world, corpus and initialisation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--init-from", paramLabel = "DIR",
            description = "Continue training this checkpoint (its tokenizer and weights) instead of starting from scratch.")
    Path initFrom;

    @Option(names = "--context-repeats", defaultValue = "1",
            description = "Fresh sets of in-context and irrelevant-context examples per epoch (default: ${DEFAULT-VALUE}).")
    int contextRepeats;

    @Option(names = "--force", description = "Overwrite a directory that already holds a checkpoint.")
    boolean force;

    @Option(names = "--generation", defaultValue = "1",
            description = "Fact-world generation: 1 (the default model's world) or 2 (multi-token names, held-out paraphrases, sensitive attributes, opinions, biographies; needs --out) (default: ${DEFAULT-VALUE}).")
    int generation;

    @Option(names = "--world", defaultValue = "default",
            description = "World size: default, small (a few hundred facts) or pilot (about 450 facts in generation 2) (default: ${DEFAULT-VALUE}).")
    String world;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "Write resumable training states (weights, optimiser, step, data order) into DIR.")
    Path checkpointDir;

    @Option(names = "--checkpoint-minutes", defaultValue = "20",
            description = "With --checkpoint-dir: write a state every M minutes; 0 = off (default: ${DEFAULT-VALUE}).")
    double checkpointMinutes;

    @Option(names = "--checkpoint-steps", defaultValue = "0",
            description = "With --checkpoint-dir: also write a state every N steps; 0 = off (default: ${DEFAULT-VALUE}).")
    int checkpointSteps;

    @Option(names = "--stop-after-steps", defaultValue = "0",
            description = "With --checkpoint-dir or --resume: write a state and stop after N steps in all (default: ${DEFAULT-VALUE} = run to the end).")
    int stopAfterSteps;

    @Option(names = "--embedding-init-scale", defaultValue = "1",
            description = "Multiply the initial token and position embeddings (GPT-2's N(0, 0.02)) by this factor; a pilot knob (default: ${DEFAULT-VALUE}).")
    double embeddingInitScale;

    @Option(names = "--slow-mlp-layers", paramLabel = "LAYERS", defaultValue = "",
            description = "Train the MLPs of these blocks (e.g. 0-1,6-7) at --slow-mlp-lr-scale times the learning rate, so facts are written in the other blocks (default: none).")
    String slowMlpLayers;

    @Option(names = "--slow-mlp-lr-scale",
            description = "With --slow-mlp-layers: their learning-rate factor in [0, 1], 0 = frozen at initialisation (default: 0).")
    Double slowMlpLrScale;

    @Option(names = "--mlp-width", paramLabel = "N",
            description = "The MLP's inner width n_inner (default: 4 × --hidden, GPT-2's).")
    Integer mlpWidth;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the checkpointed run in DIR (its saved spec and tokenizer; model options are taken from there). Needs --out.")
    Path resume;

    @Spec
    CommandSpec spec;

    /** Supplies option defaults from {@link FactModelBuilder.Spec#defaults()}. */
    public static final class Defaults implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec o)) {
                return null;
            }
            FactModelBuilder.Spec d = FactModelBuilder.Spec.defaults();
            return switch (o.longestName()) {
                case "--epochs" -> String.valueOf(d.training().epochs());
                case "--layers" -> String.valueOf(d.layers());
                case "--hidden" -> String.valueOf(d.hidden());
                case "--heads" -> String.valueOf(d.heads());
                case "--context" -> String.valueOf(d.contextLength());
                case "--vocab" -> String.valueOf(d.vocabSize());
                case "--batch" -> String.valueOf(d.training().batchSize());
                case "--lr" -> String.valueOf(d.training().learningRate());
                case "--seed" -> String.valueOf(d.seed());
                default -> null;
            };
        }
    }

    @Override
    public Integer call() throws IOException {
        if (stopAfterSteps < 0 || checkpointSteps < 0 || checkpointMinutes < 0) {
            throw new IllegalArgumentException("--stop-after-steps, --checkpoint-steps and --checkpoint-minutes must be >= 0");
        }
        if ((generation != 1 || resume != null) && out == null) {
            // Never let a generation-2 run or a resumed run fall back on the default model's directory.
            throw new IllegalArgumentException("--generation 2 and --resume need an explicit --out DIR");
        }
        if (stopAfterSteps > 0 && checkpointDir == null && resume == null) {
            throw new IllegalArgumentException("--stop-after-steps needs --checkpoint-dir (where the state to resume is written)");
        }
        PrintWriter w = spec.commandLine().getOut();
        if (resume != null) {
            Path dir = out.toAbsolutePath().normalize();
            if (!force && Files.exists(dir.resolve("model.safetensors"))) {
                throw new IllegalArgumentException(dir + ": already holds a checkpoint (pass --force to overwrite it, or another --out)");
            }
            FactsCheck.Report report = FactModelBuilder.resume(resume.toAbsolutePath().normalize(), dir, stopAfterSteps, line -> {
                w.println(line);
                w.flush();
            });
            w.println(report == null ? "stopped; resume again with --resume " + resume : "done: " + dir);
            w.flush();
            return 0;
        }
        positive("--epochs", epochs);
        positive("--layers", layers);
        positive("--hidden", hidden);
        positive("--heads", heads);
        positive("--context", context);
        positive("--batch", batch);
        if (mlpWidth != null) {
            positive("--mlp-width", mlpWidth);
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("--hidden " + hidden + " must be divisible by --heads " + heads);
        }
        if (vocab < 257) {
            throw new IllegalArgumentException("--vocab must be at least 257 (256 bytes + end-of-text), got " + vocab);
        }
        if (!(lr > 0)) {
            throw new IllegalArgumentException("--lr must be positive, got " + lr);
        }
        Path dir = out != null ? out.toAbsolutePath().normalize() : EmendCli.defaultModelDir();
        if (!force && Files.exists(dir.resolve("model.safetensors"))) {
            throw new IllegalArgumentException(dir + ": already holds a checkpoint (pass --force to overwrite it, or another --out)");
        }
        FactModelBuilder.Spec d = FactModelBuilder.Spec.defaults();
        LmTrainer.Options t = d.training();
        LmTrainer.Options training = new LmTrainer.Options(epochs, batch, lr, Math.min(t.minLearningRate(), lr),
                t.warmupSteps(), t.weightDecay(), t.clipNorm(), t.seed(), t.logEvery());
        positive("--context-repeats", contextRepeats);
        Path from = initFrom == null ? null : initFrom.toAbsolutePath().normalize();
        if (from != null && !Files.isRegularFile(from.resolve("model.safetensors"))) {
            throw new IllegalArgumentException(from + ": --init-from needs a checkpoint directory with model.safetensors");
        }
        LmTrainer.Checkpointing ck = checkpointDir == null ? null : new LmTrainer.Checkpointing(
                checkpointDir.toAbsolutePath().normalize(), checkpointSteps, checkpointMinutes, stopAfterSteps);
        if (slowMlpLrScale != null && slowMlpLayers.isBlank()) {
            throw new IllegalArgumentException("--slow-mlp-lr-scale " + slowMlpLrScale + " needs --slow-mlp-layers: say which"
                    + " blocks' MLPs it slows (e.g. --slow-mlp-layers 0-1,5-7)");
        }
        FactModelBuilder.Spec s = new FactModelBuilder.Spec(seed, vocab, layers, hidden, heads, context, training,
                contextRepeats, from, generation, world, ck, embeddingInitScale, slowMlpLayers,
                slowMlpLrScale == null ? 0 : slowMlpLrScale, mlpWidth == null ? 0 : mlpWidth);
        w.println("training " + s + " into " + dir);
        w.flush();
        FactsCheck.Report report = FactModelBuilder.build(s, dir, line -> {
            w.println(line);
            w.flush();
        });
        if (report == null) {
            w.println("stopped; continue with --resume " + ck.dir() + " --out " + dir);
            w.flush();
            return 0;
        }
        w.println("done: " + dir + " (" + report.recallItems() + " recall items checked)");
        w.flush();
        return 0;
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }
}
