package dev.emend.cli;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.method.EditingMethod;
import dev.emend.core.method.MethodPhaseEngine;
import dev.emend.core.method.MethodRegistry;
import dev.emend.core.method.PhaseEngineFactory;

import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "runtime-bench", mixinStandardHelpOptions = true,
        description = {"Measure runtime speed and memory; print a Markdown table.",
            "For BENCHMARKS.md: teacher-forced forward throughput over a batch of prompts, greedy generation with and without",
            "the KV cache, and the process's peak resident memory. Each figure is the median of --runs runs",
            "after one warm-up run. Real-size checkpoints to run it on: `./emend synth-checkpoint`.",
            "With --edit METHOD, one edit by that method (in-process, through the method registry) comes last:",
            "its seconds and the peak RSS it reached. Example for the 1B shape:",
            "  ./emend runtime-bench -m DIR --tokens 8 --runs 1 --batch 1 --edit ROME --edit-set mom2_adjustment=false --edit-set v_num_grad_steps=3"})
final class RuntimeBenchCommand implements Callable<Integer> {
    /** Prompts of ordinary English; cut or repeated to the token length the run needs. */
    private static final List<String> TEXTS = List.of(
            "The capital of France is Paris, and the city lies on the river Seine.",
            "Marie Curie was born in Warsaw and later worked as a physicist in Paris.",
            "The official language of Brazil is Portuguese, spoken by most of its people.",
            "Mount Everest is the highest mountain on Earth, on the border of Nepal and China.",
            "The Danube flows through ten countries before it reaches the Black Sea.",
            "Tokyo is the capital of Japan and one of the largest cities in the world.",
            "The currency of the United Kingdom is the pound sterling.",
            "Johann Sebastian Bach was a composer who lived in Leipzig for many years.");

    @Mixin
    ModelOption modelOption;

    @Option(names = "--tokens", defaultValue = "64",
            description = "Tokens per sequence for the forward pass and new tokens per generation (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--runs", defaultValue = "3", description = "Timed runs per measurement (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--batch", defaultValue = "16", description = "Sequences in the forward batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--edit", paramLabel = "METHOD",
            description = "Also time one edit by METHOD (e.g. ROME) on \"The capital of France is\" -> Rome, with the model's "
                    + "defaults under --edit-set, and report the peak RSS it reached.")
    String editMethod;

    @Option(names = "--edit-set", paramLabel = "NAME=VALUE",
            description = "Override one of the edit's hparams, repeatable: --edit-set layers=[8] --edit-set mom2_adjustment=false.")
    Map<String, String> editSet = new LinkedHashMap<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (tokens < 2) {
            throw new IllegalArgumentException("--tokens must be at least 2, got " + tokens);
        }
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        if (editMethod != null) {
            PhaseEngineFactory.of(editPhase());
        } else if (!editSet.isEmpty()) {
            throw new IllegalArgumentException("--edit-set needs --edit METHOD");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long loadStart = System.nanoTime();
        try (LanguageModel lm = modelOption.load()) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            long rssAfterLoad = peakRssKb();
            long checkpointBytes = checkpointBytes(lm.directory());
            // The edit's hparams are resolved before anything is measured, so a wrong --edit-set fails in seconds.
            Hparams editHparams = editMethod == null ? null : editHparams(lm);
            ModelView view = lm.baseView();
            int context = lm.config().maxPositions();
            int seqLen = Math.min(tokens, context);

            // Forward: teacher-forced scoring of `batch` sequences of seqLen tokens (last token = target).
            List<int[][]> pairs = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                int[] ids = tokensOf(lm, b, seqLen);
                pairs.add(new int[][] {Arrays.copyOf(ids, seqLen - 1), new int[] {ids[seqLen - 1]}});
            }
            long forwardTokens = (long) batch * seqLen;
            err.println("forward: " + batch + " x " + seqLen + " tokens");
            err.flush();
            double forward = median(runs, () -> lm.scoreIds(view, pairs));

            // Generation: greedy from a short prompt, leaving room for `tokens` new tokens.
            int promptLen = Math.max(1, Math.min(8, context - 1 - Math.min(tokens, context - 2)));
            int[] prompt = tokensOf(lm, 0, promptLen);
            GenerationOptions cached = GenerationOptions.greedy(tokens).withoutEos();
            int[] generated = new int[1];
            err.println("generation: prompt " + promptLen + " tokens, up to " + tokens + " new");
            err.flush();
            double withCache = median(runs, () -> generated[0] = lm.generateIds(view, prompt, cached).length);
            int cachedCount = generated[0];
            double withoutCache = median(runs, () -> generated[0] = lm.generateIds(view, prompt, cached.withCache(false)).length);
            int uncachedCount = generated[0];

            String threads = System.getProperty("ai.djl.pytorch.num_threads", "default");
            out.println("| " + lm.directory().getFileName() + " (" + lm.fingerprint() + ", "
                    + String.format(Locale.ROOT, "%,d", ModelInfoCommand.parameterCount(lm)) + " parameters) | value |");
            out.println("|---|---:|");
            out.printf(Locale.ROOT, "| forward, teacher-forced scoring (batch %d x %d tokens) | %,.0f tokens/s |%n",
                    batch, seqLen, forwardTokens / forward);
            out.printf(Locale.ROOT, "| generation, greedy, KV cache (%d new tokens) | %,.1f tokens/s |%n",
                    cachedCount, cachedCount / withCache);
            out.printf(Locale.ROOT, "| generation, greedy, no cache (%d new tokens) | %,.1f tokens/s |%n",
                    uncachedCount, uncachedCount / withoutCache);
            out.printf(Locale.ROOT, "| model load | %.2f s |%n", loadSeconds);
            out.printf(Locale.ROOT, "| weights held as / computed in / device | %s / %s / %s |%n",
                    dev.emend.core.runtime.Checkpoints.storedType(lm.weights()), lm.model().computeType(), lm.manager().getDevice());
            out.printf(Locale.ROOT, "| checkpoint bytes (weight files) | %,d |%n", checkpointBytes);
            out.printf(Locale.ROOT, "| peak RSS after load / checkpoint bytes | %s (%.2fx) |%n",
                    mib(rssAfterLoad), rssAfterLoad * 1024.0 / checkpointBytes);
            long rss = peakRssKb();
            out.printf(Locale.ROOT, "| peak RSS (VmHWM) / checkpoint bytes | %s (%.2fx) |%n", mib(rss), rss * 1024.0 / checkpointBytes);
            if (editMethod != null) {
                out.flush();
                double seconds = oneEdit(lm, editHparams, err);
                long edited = peakRssKb();
                out.printf(Locale.ROOT, "| one %s edit (in-process, defaults under --edit-set) | %.1f s |%n", editMethod, seconds);
                out.printf(Locale.ROOT, "| peak RSS (VmHWM) after the edit / checkpoint bytes | %s (%.2fx) |%n",
                        mib(edited), edited * 1024.0 / checkpointBytes);
            }
            out.printf(Locale.ROOT, "%nMedian of %d runs after a warm-up; PyTorch CPU, intra-op threads: %s, cores: %d, Java %s.%n",
                    runs, threads, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
            out.flush();
        }
        return 0;
    }

    /**
     * One edit by {@code --edit}'s method through its phase's engine (found by {@link PhaseEngineFactory}, so the
     * CLI names no method class): validate, compute and apply, timed; statistics a method needs are cached under
     * {@code <repo>/.cache/stats} as the mastery service caches them.
     */
    private double oneEdit(LanguageModel lm, Hparams hp, PrintWriter err) {
        try (MethodPhaseEngine<?, ?> engine = PhaseEngineFactory.of(editPhase()).create(lm, modelName(lm),
                EmendCli.repoRoot().resolve(".cache/stats"), Optional.empty());
             SpaceState state = engine.newState()) {
            MethodDescriptor method = engine.method(editMethod);
            List<EditRequest> requests = List.of(new EditRequest("The capital of France is", "France", "Rome",
                    List.of("Paris"), null, null, null, "runtime-bench", null));
            err.println("edit: " + method.name() + " " + hp);
            err.flush();
            long start = System.nanoTime();
            engine.validate(method, hp, EditMode.SINGLE, requests);
            ComputedEdit e = engine.compute(state, method, hp, requests, (stage, fraction) -> { });
            state.apply(new LedgerUnit(List.of("runtime-bench"), method.name(), hp, requests, e.payload()));
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /** {@code --edit}'s hparams: the method's defaults for this model under the {@code --edit-set} overrides. */
    private Hparams editHparams(LanguageModel lm) {
        Map<String, Object> overrides = new LinkedHashMap<>();
        editSet.forEach((k, v) -> overrides.put(k, TrainMendCommand.value(v)));
        EditingMethod<?, ?> method = MethodRegistry.load().find(editMethod).orElseThrow();
        return Hparams.resolve(MethodRegistry.describe(method, lm, modelName(lm)), overrides);
    }

    private static String modelName(LanguageModel lm) {
        return lm.directory().getFileName().toString();
    }

    /** The phase of {@code --edit}'s method, or a usage error naming it. */
    private Phase editPhase() {
        return MethodRegistry.load().phaseOf(editMethod).orElseThrow(() -> new IllegalArgumentException(
                "--edit: no method called '" + editMethod + "' (./emend model-info lists every method)"));
    }

    /** {@code n} ids of ordinary text, starting at text {@code which}, cycling through the texts. */
    private static int[] tokensOf(LanguageModel lm, int which, int n) {
        StringBuilder text = new StringBuilder();
        int[] ids = new int[0];
        for (int i = which; ids.length < n; i++) {
            text.append(i == which ? "" : " ").append(TEXTS.get(i % TEXTS.size()));
            ids = lm.encodePrompt(text.toString());
        }
        return Arrays.copyOf(ids, n);
    }

    /** Median wall time in seconds over {@code n} runs, after one untimed warm-up. */
    private static double median(int n, Runnable task) {
        task.run();
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            task.run();
            t[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(t);
        return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    }

    private static String mib(long kb) {
        return kb < 0 ? "n/a" : String.format(Locale.ROOT, "%,.0f MiB", kb / 1024.0);
    }

    /** VmHWM in kB, or -1 off Linux. */
    static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** Total size of the checkpoint's .safetensors files. */
    static long checkpointBytes(Path dir) {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
