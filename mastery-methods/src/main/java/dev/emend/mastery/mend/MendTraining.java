package dev.emend.mastery.mend;

import dev.emend.core.method.TrainableMethod;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One MEND training run as {@link MendMethod#train} runs it for {@code ./emend train-mend}: reads
 * and splits the training files, resolves the hparams, starts or resumes the editor, trains it with
 * {@link MendTrainer} and writes it (with the model's fingerprint) where the method reads it.
 */
final class MendTraining {
    private MendTraining() {
    }

    static Path run(TrainableMethod.TrainingRequest r, Consumer<String> progress) {
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
            MendHyperParams hp = MendTrainer.hyperParams(lm, dir.getFileName().toString(), r.overrides());
            Path file = r.out() != null ? r.out().toAbsolutePath().normalize() : MendEditorFile.resolve(lm, hp.editor());
            MendNetwork net;
            if (r.resume()) {
                net = MendEditorFile.read(file, lm, hp);
            } else {
                if (Files.exists(file) && !r.force()) {
                    throw new IllegalArgumentException(file + " already holds an editor: --resume to continue it, --force to "
                            + "train a new one over it");
                }
                net = MendNetwork.initial(lm.model(), hp);
            }
            Map<String, String> info = new LinkedHashMap<>();
            info.put("train_files", r.trainFiles().stream().map(p -> p.getFileName().toString()).toList().toString());
            info.put("train_cases", Integer.toString(trainCases.size()));
            info.put("val_cases", Integer.toString(valCases.size()));
            info.put("written", Instant.now().toString());
            info.put("training", String.format(Locale.ROOT, "lr=%g lr_lr=%g edit_lr=%g cedit=%g cloc=%g max_iters=%d accumulate_bs=%d "
                    + "grad_clip=%g seed=%d", hp.lr(), hp.lrLr(), hp.editLr(), hp.cedit(), hp.cloc(), hp.maxIters(),
                    hp.accumulateBs(), hp.gradClip(), hp.seed()));
            progress.accept(String.format(Locale.ROOT, "MEND editor for %s (%s): %d trainable values, %d targets %s, %d training / "
                            + "%d validation cases, steps %d -> %d, writing %s", dir, lm.fingerprint(), net.size(),
                    net.targets().size(), hp.structure(), trainCases.size(), valCases.size(), net.steps(), hp.maxIters(), file));
            new MendTrainer(lm).train(net, trainCases, valCases, file, info, rep -> {
                if (rep.step() % 10 == 0 || !Double.isNaN(rep.valEs()) || rep.saved()) {
                    progress.accept(rep.line());
                }
            });
            return file;
        }
    }
}
