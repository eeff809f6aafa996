package dev.emend.cli;

import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --model DIR} option shared by every command that loads a checkpoint. */
final class ModelOption {
    @Option(names = {"-m", "--model"}, paramLabel = "DIR",
            description = "Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer.json). "
                    + "Default: $EMEND_MODEL_DIR, else <repo>/models/emend-facts.")
    Path model;

    Path dir() {
        return model != null ? model.toAbsolutePath().normalize() : EmendCli.defaultModelDir();
    }

    LanguageModel load() {
        return Checkpoints.load(dir());
    }
}
