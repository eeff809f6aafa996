package dev.emend.factworld.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.grad.DeviceAdam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.BaseWeights;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.Scalars;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Trains a causal language model from scratch on DJL autograd: next-token cross-entropy over
 * every real token of each document, AdamW (decoupled weight decay on matrices only), linear
 * warm-up then cosine decay, global gradient-norm clipping, a fixed seed for data order. Batches
 * group documents of similar length so little compute goes to padding.
 */
public final class LmTrainer {
    /** Training hyperparameters. */
    public record Options(int epochs, int batchSize, float learningRate, float minLearningRate, int warmupSteps,
                          float weightDecay, float clipNorm, long seed, int logEvery) {
        public static Options defaults() {
            return new Options(20, 64, 2e-3f, 1e-4f, 200, 0.01f, 1.0f, 1234L, 50);
        }
    }

    /** Progress after a logged step or at the end of an epoch. */
    public record Progress(int epoch, int step, int totalSteps, double loss, double learningRate,
                           double tokensPerSecond, double etaSeconds, boolean epochEnd) {}

    private final DecoderModel model;
    private final Map<String, NDArray> params;
    private final NDManager manager;
    private final Options options;
    private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoment = new LinkedHashMap<>();

    public LmTrainer(DecoderModel model, Map<String, NDArray> params, NDManager manager, Options options) {
        this.model = model;
        this.params = params;
        this.manager = manager;
        this.options = options;
        for (var e : params.entrySet()) {
            e.getValue().setRequiresGradient(true);
            firstMoment.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            secondMoment.put(e.getKey(), manager.zeros(e.getValue().getShape()));
        }
    }

    /**
     * Multiplies the learning rate (and so the decoupled weight decay) of the named parameters by
     * the given factors in [0, 1]; 0 keeps a parameter at its initial value. Unnamed ones keep 1.
     */
    public void scaleLearningRates(Map<String, Double> scales) {
        for (var e : scales.entrySet()) {
            if (!params.containsKey(e.getKey())) {
                throw new IllegalArgumentException("no parameter '" + e.getKey() + "' to scale the learning rate of");
            }
            if (!(e.getValue() >= 0 && e.getValue() <= 1)) {
                throw new IllegalArgumentException("learning-rate scale of " + e.getKey() + " must be in [0, 1], got " + e.getValue());
            }
        }
        lrScale.clear();
        lrScale.putAll(scales);
    }

    private final Map<String, Double> lrScale = new LinkedHashMap<>();

    /** Trains on the same token sequences every epoch (each ending with end-of-text). */
    public void train(List<int[]> sequences, Consumer<Progress> progress) {
        train(epoch -> sequences, progress);
    }

    /**
     * Trains with the sequences {@code data} gives for each epoch (1-based), so examples that
     * teach a skill rather than a fact (in-context updates) can be drawn afresh every epoch.
     * The step count for the schedule is taken from the first epoch's size.
     */
    public void train(java.util.function.IntFunction<List<int[]>> data, Consumer<Progress> progress) {
        train(data, progress, null, null);
    }

    /**
     * As {@link #train(java.util.function.IntFunction, Consumer)}, writing a {@link TrainingCheckpoint}
     * as {@code checkpoints} asks and, given {@code resume} (read with {@link TrainingCheckpoint#read}),
     * continuing from it: the weights, AdamW's moments and step, the epoch, the data order (the
     * shuffling generator's state at the start of the epoch, replayed, and the batches already done)
     * are restored, so the run goes on exactly as an uninterrupted one would (bit for bit where
     * PyTorch computes single-threaded). Returns false when it stopped early at
     * {@link Checkpointing#stopAfterSteps}, true when it trained every epoch.
     */
    public boolean train(java.util.function.IntFunction<List<int[]>> data, Consumer<Progress> progress,
                         Checkpointing checkpoints, TrainingCheckpoint resume) {
        List<int[]> docs = usable(data.apply(1));
        Random rnd = new Random(options.seed());
        int batchesPerEpoch = (docs.size() + options.batchSize() - 1) / options.batchSize();
        int total = batchesPerEpoch * options.epochs();
        BaseWeights view = new BaseWeights(params);
        int step = 0;
        int startEpoch = 1;
        int skip = 0;
        double resumedEpochLoss = 0;
        if (resume != null) {
            resume.checkOptions(options);
            resume.restore(params, firstMoment, secondMoment);
            step = resume.step();
            stepCount = resume.step();
            startEpoch = resume.epoch();
            skip = resume.batchesDone();
            rnd = resume.epochRandom();
            resumedEpochLoss = resume.epochLoss();
        }
        long started = System.nanoTime();
        long lastSave = started;
        int stepsThisRun = 0;
        long tokens = 0;
        double lossSum = 0;
        int lossCount = 0;
        for (int epoch = startEpoch; epoch <= options.epochs(); epoch++) {
            if (epoch > 1) {
                docs = usable(data.apply(epoch));
            }
            byte[] epochStart = TrainingCheckpoint.randomState(rnd);
            // Shuffle, then sort within windows of 50 batches by length: near-random order with
            // batches of similar length.
            Collections.shuffle(docs, rnd);
            int window = options.batchSize() * 50;
            for (int from = 0; from < docs.size(); from += window) {
                docs.subList(from, Math.min(docs.size(), from + window)).sort(Comparator.comparingInt(a -> a.length));
            }
            List<List<int[]>> batches = new ArrayList<>();
            for (int from = 0; from < docs.size(); from += options.batchSize()) {
                batches.add(docs.subList(from, Math.min(docs.size(), from + options.batchSize())));
            }
            Collections.shuffle(batches, rnd);
            double epochLoss = epoch == startEpoch ? resumedEpochLoss : 0;
            for (int i = epoch == startEpoch ? skip : 0; i < batches.size(); i++) {
                List<int[]> batch = batches.get(i);
                step++;
                stepsThisRun++;
                double lr = learningRate(step, total);
                double loss = step(view, batch, lr);
                tokens += batch.stream().mapToInt(a -> a.length).sum();
                lossSum += loss;
                lossCount++;
                epochLoss += loss;
                if (step % options.logEvery() == 0) {
                    double secs = (System.nanoTime() - started) / 1e9;
                    progress.accept(new Progress(epoch, step, total, lossSum / lossCount, lr, tokens / secs,
                            secs / stepsThisRun * (total - step), false));
                    lossSum = 0;
                    lossCount = 0;
                }
                if (checkpoints != null) {
                    boolean stop = checkpoints.stopAfterSteps() > 0 && step >= checkpoints.stopAfterSteps();
                    if (checkpoints.due(step, System.nanoTime() - lastSave) || stop) {
                        TrainingCheckpoint.write(checkpoints.dir(), options, params, firstMoment, secondMoment,
                                step, epoch, i + 1, epochStart, epochLoss);
                        lastSave = System.nanoTime();
                    }
                    if (stop) {
                        return false;
                    }
                }
            }
            double secs = (System.nanoTime() - started) / 1e9;
            progress.accept(new Progress(epoch, step, total, epochLoss / batches.size(), learningRate(step, total),
                    tokens / secs, secs / Math.max(1, stepsThisRun) * (total - step), true));
        }
        for (NDArray p : params.values()) {
            p.setRequiresGradient(false);
        }
        return true;
    }

    /**
     * When to write a training checkpoint into {@code dir}: every {@code everySteps} steps and/or
     * every {@code everyMinutes} minutes (0 turns either off); {@code stopAfterSteps} > 0 writes one
     * and stops after that many steps in all (to test resuming, or to split a long run).
     */
    public record Checkpointing(java.nio.file.Path dir, int everySteps, double everyMinutes, int stopAfterSteps) {
        public Checkpointing {
            if (dir == null) {
                throw new IllegalArgumentException("checkpointing needs a directory");
            }
            if (everySteps < 0 || everyMinutes < 0 || stopAfterSteps < 0) {
                throw new IllegalArgumentException("checkpoint intervals must be >= 0: every " + everySteps + " steps, "
                        + everyMinutes + " minutes, stop after " + stopAfterSteps);
            }
        }

        boolean due(int step, long nanosSinceSave) {
            return (everySteps > 0 && step % everySteps == 0)
                    || (everyMinutes > 0 && nanosSinceSave >= everyMinutes * 60e9);
        }
    }

    private List<int[]> usable(List<int[]> sequences) {
        int maxLen = model.config().maxPositions();
        List<int[]> docs = new ArrayList<>();
        for (int[] s : sequences) {
            if (s.length < 2) {
                continue;
            }
            if (s.length > maxLen) {
                throw new IllegalArgumentException("training document of " + s.length + " tokens exceeds the context of " + maxLen);
            }
            docs.add(s);
        }
        return docs;
    }

    double learningRate(int step, int total) {
        if (step <= options.warmupSteps()) {
            return options.learningRate() * step / (double) options.warmupSteps();
        }
        double progress = (step - options.warmupSteps()) / (double) Math.max(1, total - options.warmupSteps());
        return options.minLearningRate() + 0.5 * (options.learningRate() - options.minLearningRate()) * (1 + Math.cos(Math.PI * progress));
    }

    private double step(BaseWeights view, List<int[]> batch, double lr) {
        int b = batch.size();
        int len = batch.stream().mapToInt(a -> a.length).max().orElseThrow() - 1;
        long[][] ids = new long[b][len];
        int[][] mask = new int[b][len];
        long[] next = new long[b * len];
        float[] weight = new float[b * len];
        int count = 0;
        for (int i = 0; i < b; i++) {
            int[] s = batch.get(i);
            for (int t = 0; t < s.length - 1; t++) {
                ids[i][t] = s[t];
                mask[i][t] = 1;
                next[i * len + t] = s[t + 1];
                weight[i * len + t] = 1f;
                count++;
            }
        }
        double lossValue;
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            NDArray nextIds = m.create(next, new Shape(b, len, 1));
            NDArray w = m.create(weight, new Shape(b, len));
            try (GradientSession g = GradientSession.open()) {
                ForwardResult r = model.forward(m, view, new ForwardInput(ids, mask), Hooks.NONE, null);
                NDArray nll = r.logits().logSoftmax(-1).gather(nextIds, 2).reshape(b, len).neg();
                NDArray loss = Scalars.div(nll.mul(w).sum(), count);
                g.backward(loss);
                lossValue = loss.getFloat();
            }
            if (!Double.isFinite(lossValue)) {
                throw new IllegalStateException("training diverged: loss is " + lossValue + " at learning rate " + lr
                        + "; lower the learning rate or the batch size");
            }
            update(lr);
        }
        return lossValue;
    }

    private void update(double lr) {
        double sq = 0;
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (var e : params.entrySet()) {
            NDArray g = e.getValue().getGradient();
            grads.put(e.getKey(), g);
            sq += g.square().sum().getFloat();
        }
        double norm = Math.sqrt(sq);
        float scale = norm > options.clipNorm() ? (float) (options.clipNorm() / norm) : 1f;
        stepCount++;
        DeviceAdam.Settings matrices = new DeviceAdam.Settings(0.9, 0.95, 1e-8, options.weightDecay());
        DeviceAdam.Settings vectors = new DeviceAdam.Settings(0.9, 0.95, 1e-8, 0);
        for (var e : params.entrySet()) {
            String name = e.getKey();
            NDArray p = e.getValue();
            NDArray g = grads.get(name).mul(scale);
            double plr = lr * lrScale.getOrDefault(name, 1.0);
            // decoupled weight decay on matrices only
            DeviceAdam.step(p, g, firstMoment.get(name), secondMoment.get(name), stepCount, plr,
                    p.getShape().dimension() >= 2 ? matrices : vectors);
            // Zero the gradient ourselves: PyTorch accumulates into .grad across backward calls.
            grads.get(name).muli(0);
        }
    }

    private long stepCount;

}
