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
            "with --generation 2: erasure, sentiment and longform (each with a -train split). Deterministic in the seed."})
final class BenchmarksCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: <repo>/benchmarks/emend-facts).")
    Path out;

    @Option(names = "--seed", defaultValue = "1",
            description = "World and benchmark seed; must match the model's training seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--generation", defaultValue = "1",
            description = "World generation: 1 writes the fact benchmarks of the default model's world; 2 writes the "
                    + "erasure, sentiment and long-form benchmarks (each with a -train split) from the second-generation "
                    + "world and leaves every other file alone (default: ${DEFAULT-VALUE}).")
    int generation;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Path dir = out != null ? out.toAbsolutePath().normalize()
                : EmendCli.repoRoot().resolve("benchmarks").resolve("emend-facts");
        PrintWriter w = spec.commandLine().getOut();
        if (generation == 2) {
            Map<String, Integer> counts = new TaskBenchmarkGenerator(
                    FactWorld.build(seed, FactModelBuilder.GENERATION_2_DEFAULT, 2), seed).writeAll(dir);
            counts.forEach((file, n) -> w.println(dir.resolve(file) + ": " + n + " cases"));
            w.flush();
            return 0;
        }
        if (generation != 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--generation: 1 or 2, got " + generation);
        }
        FactWorld world = FactWorld.build(seed);
        world.writeFactsJson(dir.resolve("facts.json"));
        w.println(dir.resolve("facts.json") + ": " + world.facts().size() + " facts");
        Map<String, Integer> counts = new BenchmarkGenerator(world, seed).writeAll(dir);
        counts.forEach((file, n) -> w.println(dir.resolve(file) + ": " + n + (file.equals("health.json") ? " items" : " cases")));
        w.flush();
        return 0;
    }
}
