package dev.emend.cli;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.factworld.check.FactsCheck;
import dev.emend.factworld.world.FactWorld;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "facts-check", mixinStandardHelpOptions = true,
        description = {"Measure fact recall, in-context update and context robustness.",
            "Each is the mean token accuracy (percent) over the fact world's eval sets. Progress goes to stderr; the three result lines to stdout."})
final class FactsCheckCommand implements Callable<Integer> {
    @Mixin
    ModelOption modelOption;

    @Option(names = "--facts", paramLabel = "FILE", description = "facts.json of the fact world (default: <model>/facts.json).")
    Path facts;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Score at most N items per set, spread over the set; 0 = all (default: ${DEFAULT-VALUE}).")
    int limit;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
        }
        Path modelDir = modelOption.dir();
        Path file = facts != null ? facts.toAbsolutePath().normalize() : modelDir.resolve("facts.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no facts file (pass --facts FILE; train-facts and benchmarks write facts.json)");
        }
        PrintWriter err = spec.commandLine().getErr();
        FactWorld world = FactWorld.readFactsJson(file);
        try (LanguageModel lm = modelOption.load()) {
            FactsCheck.Report report = FactsCheck.run(lm, world.evalSets(world.seed()), limit, line -> {
                err.println(line);
                err.flush();
            });
            PrintWriter out = spec.commandLine().getOut();
            out.println(report.lines());
            out.flush();
        }
        return 0;
    }
}
