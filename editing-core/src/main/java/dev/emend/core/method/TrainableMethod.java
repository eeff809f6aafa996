package dev.emend.core.method;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An editing method that needs a trained component before it can edit (MEND's editor network),
 * implemented by the method's plug-in class beside {@link EditingMethod}. Callers find it through
 * the {@link MethodRegistry} ({@code registry.find(name)} and an {@code instanceof} check), so a
 * command line or a service trains a method without importing the method's package.
 */
public interface TrainableMethod {
    /**
     * One training run.
     *
     * @param modelDir    the checkpoint directory the component is trained for
     * @param trainFiles  KnowEdit-format training files
     * @param valFraction share of each file (its last records) held out for validation
     * @param overrides   hparam overrides on the method's per-model defaults
     * @param out         where to write the component, or null for the method's default place
     * @param resume      continue the component at {@code out} instead of starting fresh
     * @param force       overwrite an existing component instead of refusing
     */
    record TrainingRequest(Path modelDir, List<Path> trainFiles, double valFraction, Map<String, Object> overrides,
                           Path out, boolean resume, boolean force) {
        public TrainingRequest {
            trainFiles = List.copyOf(trainFiles);
            overrides = Map.copyOf(overrides);
        }
    }

    /**
     * Trains and writes the component, reporting progress as human-readable lines; returns the file
     * written. Bad requests (missing files, an existing component without resume or force, unknown
     * hparams) throw {@link IllegalArgumentException} or {@link dev.emend.core.edit.EditException}
     * before any training.
     */
    Path train(TrainingRequest request, Consumer<String> progress);
}
