package dev.emend.factworld.check;

import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.factworld.world.FactWorld;

import java.nio.file.Path;

/** A committed model under {@code models/} with the world its facts.json describes (the quality tests' setup). */
record CommittedModel(Path dir, LanguageModel lm, FactWorld world) {
    static CommittedModel load(String name) {
        Path dir = Path.of(System.getProperty("emend.repo.root", "..")).toAbsolutePath().normalize().resolve("models").resolve(name);
        return new CommittedModel(dir, Checkpoints.load(dir), FactWorld.readFactsJson(dir.resolve("facts.json")));
    }
}
