package dev.emend.cli;

import dev.emend.factworld.bench.BenchmarkGenerator;
import dev.emend.factworld.bench.TaskBenchmarkGenerator;
import dev.emend.factworld.world.FactWorld;
import dev.emend.factworld.train.FactModelBuilder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "benchmarks", mixinStandardHelpOptions = true,
        description = {"Regenerate the KnowEdit-format editing benchmarks.",
            "Writes counterfact, recent and zsre (each with a -train split), health.json (the material of bench --health) and the world's facts.json;",
            "with --generation 2 (into benchmarks/emend-facts-2): the same for the second-generation world, rephrase and portability",
            "prompts worded with held-out templates, plus erasure, sentiment and longform (each with a -train split). Deterministic in the seed."})
final class BenchmarksCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: <repo>/benchmarks/emend-facts, or emend-facts-2 with --generation 2).")
    Path out;

    @Option(names = "--seed", defaultValue = "1",
            description = "World and benchmark seed; must match the model's training seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--generation", defaultValue = "1",
            description = "World generation: 1 writes the fact benchmarks of the default model's world; 2 writes the "
                    + "second-generation world's fact benchmarks and its erasure, sentiment and long-form benchmarks "
                    + "world and leaves every other file alone (default: ${DEFAULT-VALUE}).")
    int generation;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
        if (generation != 1 && generation != 2) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--generation: 1 or 2, got " + generation);
        }
        Path dir = out != null ? out.toAbsolutePath().normalize()
                : EmendCli.repoRoot().resolve("benchmarks").resolve(generation == 2 ? "emend-facts-2" : "emend-facts");
        PrintWriter w = spec.commandLine().getOut();
        FactWorld world = generation == 2 ? FactWorld.build(seed, FactModelBuilder.GENERATION_2_DEFAULT, 2) : FactWorld.build(seed);
        java.nio.file.Files.createDirectories(dir);
        world.writeFactsJson(dir.resolve("facts.json"));
        w.println(dir.resolve("facts.json") + ": " + world.facts().size() + " facts");
        Map<String, Integer> counts = new java.util.LinkedHashMap<>(new BenchmarkGenerator(world, seed).writeAll(dir));
        if (generation == 2) {
            counts.putAll(new TaskBenchmarkGenerator(world, seed).writeAll(dir));
        }
        counts.forEach((file, n) -> w.println(dir.resolve(file) + ": " + n + (file.equals("health.json") ? " items" : " cases")));
        w.flush();
        return 0;
    }
}
