package dev.emend.recognition.memory;

import dev.emend.knowedit.EvalCase;
import dev.emend.knowedit.KnowEditDataset;
import dev.emend.knowedit.KnowEditReader;
import dev.emend.knowedit.Probe;
import dev.emend.knowedit.TaskCases;
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
public record DemonstrationPool(List<Demonstration> facts, List<Demonstration> tasks, List<String> sources) {
    public DemonstrationPool {
        facts = List.copyOf(facts);
        tasks = List.copyOf(tasks);
        sources = List.copyOf(sources);
    }

    public static DemonstrationPool empty() {
        return new DemonstrationPool(List.of(), List.of(), List.of());
    }

    /**
     * Every demonstration, fact splits first. Only {@link #facts} fix the embedding centre and the
     * BM25 background (RecognitionEngine): a ledger's stored vectors were computed with them, so the
     * task splits, added later, must not move them.
     */
    public List<Demonstration> demonstrations() {
        List<Demonstration> all = new ArrayList<>(facts);
        all.addAll(tasks);
        return all;
    }

    /** The same pool without the task demonstrations that {@code fits} rejects (too long for the model's context). */
    public DemonstrationPool tasksWhere(java.util.function.Predicate<Demonstration> fits) {
        return new DemonstrationPool(facts, tasks.stream().filter(fits).toList(), sources);
    }

    public static DemonstrationPool fromCases(List<KnowEditCase> cases, List<String> sources) {
        return new DemonstrationPool(demonstrationsOf(cases), List.of(), sources);
    }

    private static List<Demonstration> demonstrationsOf(List<KnowEditCase> cases) {
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
        return out;
    }

    /**
     * Every {@code *-train.json} file in {@code dir} (sorted by name), or an empty pool when none.
     * Fact-edit splits (counterfact, zsre, recent) give their cases as they are; the task splits
     * (KnowEdit's Sanitation, ConvSent and WikiBio layouts: erasure, sentiment, long-form) are read
     * by the benchmark reader and give the same three kinds: COPY is the task's edit (question →
     * refusal, topic question → opinion of the flipped polarity, biography → corrected sentence),
     * RETAIN its locality probes (retained questions, other topics, the rest of the biography). This
     * is EasyEdit's IKE on those data sets: its KnowEdit runner builds the demonstrations from the
     * train split of the data set being edited, so an erasure edit is shown refusals. Here the pool
     * holds every split at once and the retriever's nearest neighbours pick the fitting ones (an
     * erasure question's nearest demonstrations are other erasure questions); EasyEdit's runner
     * instead loads one data set's split per run, which a long-running service that takes edits of
     * any kind cannot do.
     */
    public static DemonstrationPool fromTrainFiles(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return empty();
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith("-train.json")).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + dir, e);
        }
        List<KnowEditCase> factCases = new ArrayList<>();
        List<KnowEditCase> taskCases = new ArrayList<>();
        for (Path f : files) {
            if (KnowEditCase.holdsFactEdits(f)) {
                factCases.addAll(KnowEditCase.read(f));
            } else {
                taskCases.addAll(taskCases(f));
            }
        }
        return new DemonstrationPool(demonstrationsOf(factCases), demonstrationsOf(taskCases),
                files.stream().map(Path::toString).toList());
    }

    /** A task split's cases (with their task locality attached) as demonstrations' sources. */
    static List<KnowEditCase> taskCases(Path file) {
        KnowEditDataset d;
        try {
            d = KnowEditReader.read(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read demonstrations from " + file, e);
        }
        List<KnowEditCase> out = new ArrayList<>();
        for (EvalCase c : TaskCases.withTaskLocality(d)) {
            String rephrase = c.rephrasePrompts().isEmpty() ? null : c.rephrasePrompts().get(0);
            out.add(new KnowEditCase(c.prompt(), c.subject(), c.targetNew(), rephrase, probes(c.locality()),
                    probes(c.portability())));
        }
        return out;
    }

    /**
     * The probes as prompt → answer, except a prompt listed with different answers: ConvSent's
     * other-topic probes ask the same question once with a positive and once with a negative
     * answer (they score agreement with the unedited model, not an answer), so as demonstrations
     * they would contradict each other and are left out; sentiment edits get copies only.
     */
    private static List<KnowEditCase.Probe> probes(java.util.Map<String, List<Probe>> byKey) {
        java.util.Map<String, java.util.Set<String>> answers = new java.util.HashMap<>();
        byKey.values().forEach(list -> list.forEach(
                p -> answers.computeIfAbsent(p.prompt(), k -> new java.util.HashSet<>()).add(p.answer())));
        List<KnowEditCase.Probe> out = new ArrayList<>();
        byKey.values().forEach(list -> list.stream().filter(p -> answers.get(p.prompt()).size() == 1)
                .forEach(p -> out.add(new KnowEditCase.Probe(p.prompt(), p.answer()))));
        return out;
    }

    public int size() {
        return facts.size() + tasks.size();
    }
}
