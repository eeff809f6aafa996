package dev.emend.core.method;

import dev.emend.core.edit.Progress;
import dev.emend.core.runtime.LanguageModel;
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
     * @param staged      write checkpoints to a temporary sibling and move the component into place
     *                    only when training ends, so a failed or cancelled run leaves the previous
     *                    component (or none) as it was; otherwise every checkpoint is written in
     *                    place, so an interrupted run can be resumed
     */
    record TrainingRequest(Path modelDir, List<Path> trainFiles, double valFraction, Map<String, Object> overrides,
                           Path out, boolean resume, boolean force, boolean staged) {
        public TrainingRequest {
            trainFiles = List.copyOf(trainFiles);
            overrides = Map.copyOf(overrides);
        }
    }

    /**
     * Checks the request against the model {@code lm} (the one at {@code request.modelDir()}) and
     * returns the file the run would write, without training: unknown or out-of-range hparams throw
     * {@link IllegalArgumentException} or {@link dev.emend.core.edit.EditException} (INVALID_ARGUMENT),
     * an existing component without resume or force a FAILED_PRECONDITION that says how to overwrite it.
     */
    Path target(TrainingRequest request, LanguageModel lm);

    /**
     * Trains and writes the component; returns the file written. {@code progress} gets the stage and
     * the fraction of the steps done after every step (a progress that throws stops the run: nothing
     * more is written, and with {@code staged} nothing at all), {@code log} human-readable lines
     * (every few steps, validations, checkpoints). Bad requests fail as {@link #target} says, before
     * any training.
     */
    Path train(TrainingRequest request, Progress progress, Consumer<String> log);
}
