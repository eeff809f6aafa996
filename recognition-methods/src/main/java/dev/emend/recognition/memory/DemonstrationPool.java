package dev.emend.recognition.memory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The demonstrations IKE retrieves from, built as IKE and EasyEdit build them from a training split:
 * for every training case one COPY (prompt → target_new), one UPDATE (rephrase_prompt →
 * target_new) and one RETAIN per locality probe (its prompt → its own true answer, after the same
 * new fact). The default source is the benchmark's {@code *-train.json} files, disjoint from the
 * evaluation cases.
 */
public record DemonstrationPool(List<Demonstration> demonstrations, List<String> sources) {
    public DemonstrationPool {
        demonstrations = List.copyOf(demonstrations);
        sources = List.copyOf(sources);
    }

    public static DemonstrationPool empty() {
        return new DemonstrationPool(List.of(), List.of());
    }

    public static DemonstrationPool fromCases(List<KnowEditCase> cases, List<String> sources) {
        List<Demonstration> out = new ArrayList<>();
        for (KnowEditCase c : cases) {
            out.add(new Demonstration(Demonstration.Kind.COPY, c.prompt(), c.targetNew(), c.prompt(), c.targetNew()));
            if (c.rephrase() != null && !c.rephrase().isBlank()) {
                out.add(new Demonstration(Demonstration.Kind.UPDATE, c.prompt(), c.targetNew(), c.rephrase(), c.targetNew()));
            }
            for (KnowEditCase.Probe p : c.locality()) {
                out.add(new Demonstration(Demonstration.Kind.RETAIN, c.prompt(), c.targetNew(), p.prompt(), p.answer()));
            }
        }
        return new DemonstrationPool(out, sources);
    }

    /**
     * Every {@code *-train.json} file of fact edits in {@code dir} (sorted by name), or an empty pool
     * when none; the task splits beside them (erasure, sentiment, long-form) are not fact
     * demonstrations and are left out.
     */
    public static DemonstrationPool fromTrainFiles(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return empty();
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith("-train.json")).sorted()
                    .filter(KnowEditCase::holdsFactEdits).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + dir, e);
        }
        List<KnowEditCase> cases = new ArrayList<>();
        for (Path f : files) {
            cases.addAll(KnowEditCase.read(f));
        }
        return fromCases(cases, files.stream().map(Path::toString).toList());
    }

    public int size() {
        return demonstrations.size();
    }
}
