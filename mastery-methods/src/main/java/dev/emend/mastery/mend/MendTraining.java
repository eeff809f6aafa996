package dev.emend.mastery.mend;

import dev.emend.core.edit.EditException;
import dev.emend.core.edit.Progress;
import dev.emend.core.method.TrainableMethod;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * One MEND training run as {@link MendMethod#train} runs it for {@code ./emend train-mend} and the
 * phase service's TrainMethod: reads and splits the training files, resolves the hparams, starts or
 * resumes the editor, trains it with {@link MendTrainer} and writes it (with the model's
 * fingerprint) where the method reads it. A staged run writes its checkpoints to a temporary
 * sibling and moves the editor into place only at the end, so a cancel or a failure leaves the
 * editor that was there before (or none).
 */
final class MendTraining {
    private MendTraining() {
    }

    /** The hparams of a request on {@code lm} (per-model defaults under the overrides). */
    private static MendHyperParams hyperParams(TrainableMethod.TrainingRequest r, LanguageModel lm) {
        return MendTrainer.hyperParams(lm, r.modelDir().getFileName().toString(), r.overrides());
    }

    /** Where the request's editor goes; FAILED_PRECONDITION when one is there and neither resume nor force is set. */
    static Path target(TrainableMethod.TrainingRequest r, LanguageModel lm) {
        return target(r, lm, hyperParams(r, lm));
    }

    private static Path target(TrainableMethod.TrainingRequest r, LanguageModel lm, MendHyperParams hp) {
        Path file = r.out() != null ? r.out().toAbsolutePath().normalize() : MendEditorFile.resolve(lm, hp.editor());
        if (!r.resume() && !r.force() && Files.exists(file)) {
            throw EditException.precondition("overwrite", file + " already holds an editor: continue it (train-mend --resume) "
                    + "or train a new one over it (train-mend --force; through the API \"overwrite\": true)");
        }
        return file;
    }

    static Path run(TrainableMethod.TrainingRequest r, Progress progress, Consumer<String> log) {
        List<MendTrainer.Case> trainCases = new ArrayList<>();
        List<MendTrainer.Case> valCases = new ArrayList<>();
        for (Path f : r.trainFiles()) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("--train " + f + ": no such file");
            }
            List<List<MendTrainer.Case>> split = MendTrainer.holdOut(MendTrainer.readCases(f), r.valFraction());
            trainCases.addAll(split.get(0));
            valCases.addAll(split.get(1));
        }
        Path dir = r.modelDir();
        try (LanguageModel lm = Checkpoints.load(dir)) {
            MendHyperParams hp = hyperParams(r, lm);
            Path file = target(r, lm, hp);
            Path work = r.staged() ? file.resolveSibling("." + file.getFileName() + ".training-" + UUID.randomUUID())
                    : file;
            MendNetwork net = r.resume() ? MendEditorFile.read(file, lm, hp) : MendNetwork.initial(lm.model(), hp);
            Map<String, String> info = new LinkedHashMap<>();
            info.put("train_files", r.trainFiles().stream().map(p -> p.getFileName().toString()).toList().toString());
            info.put("train_cases", Integer.toString(trainCases.size()));
            info.put("val_cases", Integer.toString(valCases.size()));
            info.put("written", Instant.now().toString());
            info.put("training", String.format(Locale.ROOT, "lr=%g lr_lr=%g edit_lr=%g cedit=%g cloc=%g max_iters=%d accumulate_bs=%d "
                    + "grad_clip=%g seed=%d", hp.lr(), hp.lrLr(), hp.editLr(), hp.cedit(), hp.cloc(), hp.maxIters(),
                    hp.accumulateBs(), hp.gradClip(), hp.seed()));
            log.accept(String.format(Locale.ROOT, "MEND editor for %s (%s): %d trainable values, %d targets %s, %d training / "
                            + "%d validation cases, steps %d -> %d, writing %s", dir, lm.fingerprint(), net.size(),
                    net.targets().size(), hp.structure(), trainCases.size(), valCases.size(), net.steps(), hp.maxIters(), file));
            long first = net.steps();
            try {
                new MendTrainer(lm).train(net, trainCases, valCases, work, info, rep -> {
                    if (rep.step() % 10 == 0 || !Double.isNaN(rep.valEs()) || rep.saved()) {
                        log.accept(rep.line());
                    }
                    progress.report(String.format(Locale.ROOT, "MEND training, step %d of %d", rep.step(), rep.maxIters()),
                            (rep.step() - first) / (double) Math.max(1, rep.maxIters() - first));
                });
                if (r.staged() && Files.exists(work)) {
                    move(work, file);
                }
            } finally {
                if (r.staged()) {
                    deleteQuietly(work);
                }
            }
            return file;
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(to + ": cannot move the trained editor into place: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a leftover temporary file is harmless: it is hidden and never read as an editor
        }
    }
}
