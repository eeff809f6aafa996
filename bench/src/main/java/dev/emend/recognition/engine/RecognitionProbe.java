package dev.emend.recognition.engine;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.KnowEditCases;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.edit.Answer;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ScoreItem;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.recognition.memory.KnowEditCase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The recognition phase's measurements on a model and its KnowEdit benchmark (EasyEdit's
 * teacher-forced metrics: Edit Succ on the prompt, Generalization on rephrase_prompt, Locality =
 * argmax agreement with the base model on the locality prompts, Portability on the portability
 * prompts), printing markdown tables. Sections:
 * <ul>
 *   <li>{@code single FILE...}: one fresh space per case, one edit, scored (per method);</li>
 *   <li>{@code sequential}: N edits one after another into one space, all scored at the end;</li>
 *   <li>{@code latency}: query latency vs the base model with 0 / 1,000 / 100,000 stored edits,
 *       and insert latency.</li>
 * </ul>
 * Options: {@code --model=DIR --bench=DIR --n=N --methods=IKE,ICE,SERAC --sizes=0,1000,100000
 * --queries=N --hp.NAME=VALUE} (an hparam override for every method that has it).
 */
public final class RecognitionProbe {
    private final RecognitionEngine engine;
    private final LanguageModel lm;
    private final Map<String, String> options;

    RecognitionProbe(RecognitionEngine engine, Map<String, String> options) {
        this.engine = engine;
        this.lm = engine.model();
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        if (!ProbeArgs.run(args, RecognitionProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws Exception {
        ProbeArgs parsed = ProbeArgs.parse(args, 1, Integer.MAX_VALUE,
                "RecognitionProbe single|sequential|latency|calibrate [FILE...] [--model=DIR] [--bench=DIR] "
                + "[--n=N] [--methods=IKE,ICE,SERAC] [--sizes=0,1000,100000] [--queries=N] [--pooling=LAST|MEAN|MEAN_LAST] [--hp.NAME=VALUE]");
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path root = Path.of(System.getProperty("emend.repo.root", ".")).toAbsolutePath().normalize();
        Path model = Path.of(opt.getOrDefault("model", root.resolve("models/emend-facts").toString()));
        Path bench = Path.of(opt.getOrDefault("bench", root.resolve("benchmarks").resolve(model.getFileName()).toString()));
        long t0 = System.nanoTime();
        try (RecognitionEngine engine = RecognitionEngine.open(model, bench,
                dev.emend.recognition.retrieval.Embedder.Pooling.valueOf(opt.getOrDefault("pooling", "LAST")))) {
            System.out.printf(Locale.ROOT, "engine ready in %.1f s: model %s, %d demonstrations from %s%n",
                    (System.nanoTime() - t0) / 1e9, model, engine.demonstrations().size(), bench);
            RecognitionProbe probe = new RecognitionProbe(engine, opt);
            switch (pos.get(0)) {
                case "single" -> probe.single(pos.subList(1, pos.size()).stream().map(f -> resolve(bench, f)).toList());
                case "sequential" -> probe.sequential(bench);
                case "latency" -> probe.latency(model);
                case "calibrate" -> probe.calibrate(bench);
                case "show" -> probe.show(resolve(bench, pos.get(1)));
                default -> throw new IllegalArgumentException("unknown section " + pos.get(0));
            }
        }
    }

    private static Path resolve(Path bench, String f) {
        Path p = Path.of(f);
        return p.isAbsolute() || Files.exists(p) ? p : bench.resolve(f);
    }

    /** {@code --hp.x=v} overrides that the method declares. */
    Map<String, Object> overrides(String method) {
        Map<String, Object> out = new HashMap<>();
        var m = engine.method(method);
        for (var e : options.entrySet()) {
            if (e.getKey().startsWith("hp.")) {
                String name = e.getKey().substring(3);
                if (m.hparam(name).isPresent()) {
                    out.put(name, parseValue(e.getValue()));
                }
            }
        }
        return out;
    }

    static Object parseValue(String v) {
        if (v.contains(",")) {
            return Arrays.stream(v.split(",")).map(RecognitionProbe::parseValue).toList();
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e2) {
                return v;
            }
        }
    }

    private List<String> methods() {
        return Arrays.asList(options.getOrDefault("methods", "IKE,ICE,SERAC").split(","));
    }

    private int n(int dflt) {
        return Integer.parseInt(options.getOrDefault("n", Integer.toString(dflt)));
    }

    // ------------------------------------------------------------------ single edits

    /** Figures of one method over cases; accuracies ×100. */
    record Figures(double es, double gen, double loc, double port, double locToBase, double editMs, double queryMs, int truncated, int cases) {}

    void single(List<Path> files) {
        int n = n(100);
        System.out.println();
        System.out.println("| benchmark | method | cases | Edit Succ | Generalization | Locality | Portability | loc. answered by base | truncated answers | edit ms | query ms |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Path f : files) {
            List<KnowEditCase> cases = KnowEditCase.read(f);
            cases = cases.subList(0, Math.min(n, cases.size()));
            Map<KnowEditCase, List<int[]>> baseLoc = new HashMap<>();
            for (KnowEditCase c : cases) {
                baseLoc.put(c, argmaxes(lm.scoreBatch(lm.baseView(), c.locality().stream()
                        .map(p -> new ScoreItem(p.prompt(), p.answer())).toList())));
            }
            for (String method : methods()) {
                Figures fig = singleRun(cases, baseLoc, method);
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f %% | %d | %.1f | %.1f |%n",
                        f.getFileName(), method, fig.cases(), fig.es(), fig.gen(), fig.loc(), fig.port(), fig.locToBase(),
                        fig.truncated(), fig.editMs(), fig.queryMs());
            }
        }
    }

    Figures singleRun(List<KnowEditCase> cases, Map<KnowEditCase, List<int[]>> baseLoc, String method) {
        double es = 0, gen = 0, loc = 0, port = 0, locBase = 0, editNs = 0, queryNs = 0;
        int genN = 0, locN = 0, portN = 0, locQueries = 0, truncated = 0, queries = 0;
        Map<String, Object> hp = overrides(method);
        LocalLedger ledger = new LocalLedger(engine);
        for (KnowEditCase c : cases) {
            try (RecognitionState state = engine.newState()) {
                long t = System.nanoTime();
                ledger.edit(state, method, hp, EditRequest.of(c.prompt(), c.subject(), c.targetNew()));
                editNs += System.nanoTime() - t;
                List<ScoreItem> items = new ArrayList<>();
                items.add(new ScoreItem(c.prompt(), c.targetNew()));
                if (c.rephrase() != null) {
                    items.add(new ScoreItem(c.rephrase(), c.targetNew()));
                }
                c.locality().forEach(p -> items.add(new ScoreItem(p.prompt(), p.answer())));
                c.portability().forEach(p -> items.add(new ScoreItem(p.prompt(), p.answer())));
                t = System.nanoTime();
                List<Answer<ScoreResult>> a = state.scoreBatch(items);
                queryNs += System.nanoTime() - t;
                queries += items.size();
                truncated += (int) a.stream().filter(x -> x.notes().stream().anyMatch(no -> no.code().equals("TRUNCATED"))).count();
                int i = 0;
                es += a.get(i++).value().tokenAccuracy();
                if (c.rephrase() != null) {
                    gen += a.get(i++).value().tokenAccuracy();
                    genN++;
                }
                if (!c.locality().isEmpty()) {
                    double l = 0;
                    List<int[]> base = baseLoc.get(c);
                    for (int j = 0; j < c.locality().size(); j++) {
                        Answer<ScoreResult> r = a.get(i++);
                        l += KnowEditCases.argmaxAgreement(base.get(j), r.value().argmaxIds());
                        locBase += r.matchedEditIds().isEmpty() ? 1 : 0;
                        locQueries++;
                    }
                    loc += l / c.locality().size();
                    locN++;
                }
                if (!c.portability().isEmpty()) {
                    double p = 0;
                    for (int j = 0; j < c.portability().size(); j++) {
                        p += a.get(i++).value().tokenAccuracy();
                    }
                    port += p / c.portability().size();
                    portN++;
                }
            }
        }
        int n = cases.size();
        return new Figures(100 * es / n, genN == 0 ? Double.NaN : 100 * gen / genN, locN == 0 ? Double.NaN : 100 * loc / locN,
                portN == 0 ? Double.NaN : 100 * port / portN, locQueries == 0 ? Double.NaN : 100.0 * locBase / locQueries,
                editNs / 1e6 / n, queryNs / 1e6 / Math.max(1, queries), truncated, n);
    }

    static List<int[]> argmaxes(List<ScoreResult> rs) {
        return rs.stream().map(ScoreResult::argmaxIds).toList();
    }

    // ------------------------------------------------------------------ sequential

    void sequential(Path bench) {
        int n = n(1000);
        List<KnowEditCase> all = new ArrayList<>();
        for (String f : List.of("counterfact.json", "zsre.json", "recent.json", "counterfact-train.json", "zsre-train.json",
                "recent-train.json")) {
            Path p = bench.resolve(f);
            if (Files.exists(p)) {
                all.addAll(KnowEditCase.read(p));
            }
        }
        List<KnowEditCase> cases = all.subList(0, Math.min(n, all.size()));
        System.out.println();
        System.out.println("Sequential: " + cases.size() + " edits applied one by one (SEQUENTIAL, one unit each) into one space, "
                + "then every case scored on the final state (cases from counterfact, zsre, recent, then the -train splits).");
        System.out.println();
        System.out.println("| method | edits | live at end | Edit Succ (live) | Generalization (live) | Locality | loc. answered by base | right edit retrieved (prompt) | edit ms | query ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (String method : methods()) {
            Map<String, Object> hp = overrides(method);
            LocalLedger ledger = new LocalLedger(engine);
            try (RecognitionState state = engine.newState()) {
                List<String> ids = new ArrayList<>();
                long t = System.nanoTime();
                for (KnowEditCase c : cases) {
                    ledger.edit(state, method, hp, EditMode.SEQUENTIAL, List.of(EditRequest.of(c.prompt(), c.subject(), c.targetNew())));
                    ids.add(ledger.lastId(0));
                }
                double editMs = (System.nanoTime() - t) / 1e6 / cases.size();
                double es = 0, gen = 0, loc = 0, found = 0;
                int live = 0, genN = 0, locN = 0, locBase = 0, locQueries = 0;
                long qNs = 0;
                int queries = 0;
                for (int i = 0; i < cases.size(); i++) {
                    KnowEditCase c = cases.get(i);
                    List<ScoreItem> locItems = c.locality().stream().map(p -> new ScoreItem(p.prompt(), p.answer())).toList();
                    List<int[]> base = argmaxes(lm.scoreBatch(lm.baseView(), locItems));
                    long q = System.nanoTime();
                    List<Answer<ScoreResult>> la = state.scoreBatch(locItems);
                    if (!locItems.isEmpty()) {
                        double l = 0;
                        for (int j = 0; j < la.size(); j++) {
                            l += KnowEditCases.argmaxAgreement(base.get(j), la.get(j).value().argmaxIds());
                            locBase += la.get(j).matchedEditIds().isEmpty() ? 1 : 0;
                            locQueries++;
                        }
                        loc += l / la.size();
                        locN++;
                    }
                    if (state.memory().get(ids.get(i)).isEmpty()) {
                        qNs += System.nanoTime() - q;
                        queries += locItems.size();
                        continue; // superseded by a later case about the same subject and relation
                    }
                    live++;
                    Answer<ScoreResult> a = state.score(c.prompt(), c.targetNew());
                    es += a.value().tokenAccuracy();
                    found += a.matchedEditIds().contains(ids.get(i)) ? 1 : 0;
                    queries += locItems.size() + 1;
                    if (c.rephrase() != null) {
                        gen += state.score(c.rephrase(), c.targetNew()).value().tokenAccuracy();
                        genN++;
                        queries++;
                    }
                    qNs += System.nanoTime() - q;
                }
                System.out.printf(Locale.ROOT, "| %s | %d | %d | %.1f | %.1f | %.1f | %.1f %% | %.1f %% | %.1f | %.1f |%n", method,
                        cases.size(), live, 100 * es / live, 100 * gen / Math.max(1, genN), 100 * loc / Math.max(1, locN),
                        100.0 * locBase / Math.max(1, locQueries), 100 * found / live,
                        editMs, qNs / 1e6 / Math.max(1, queries));
            }
        }
    }

    // ------------------------------------------------------------------ latency

    /**
     * Synthetic stored edits about made-up people (first names × optional middle initial × last
     * names of the world's people, person relations × their templates, random objects of the relation): enough distinct subject
     * and relation pairs that none supersedes another.
     */
    static List<EditRequest> syntheticEdits(Path factsJson, int count, long seed) throws IOException {
        JsonObject root = JsonParser.parseString(Files.readString(factsJson)).getAsJsonObject();
        Map<String, List<String>> templates = new LinkedHashMap<>();
        for (JsonElement r : root.getAsJsonArray("relations")) {
            JsonObject o = r.getAsJsonObject();
            List<String> t = new ArrayList<>();
            o.getAsJsonArray("templates").forEach(x -> t.add(x.getAsString()));
            templates.put(o.get("id").getAsString(), t);
        }
        Map<String, List<String>> objects = new LinkedHashMap<>();
        java.util.Set<String> first = new java.util.LinkedHashSet<>();
        java.util.Set<String> last = new java.util.LinkedHashSet<>();
        JsonArray facts = root.getAsJsonArray("facts");
        for (JsonElement e : facts) {
            JsonObject f = e.getAsJsonObject();
            String rel = f.get("relation").getAsString();
            objects.computeIfAbsent(rel, k -> new ArrayList<>()).add(f.get("object").getAsString());
            if (rel.equals("occupation")) {
                String[] parts = f.get("subject").getAsString().split(" ");
                if (parts.length == 2) {
                    first.add(parts[0]);
                    last.add(parts[1]);
                }
            }
        }
        List<String> rels = List.of("birth_city", "birth_country", "occupation", "employer");
        Random rnd = new Random(seed);
        List<EditRequest> out = new ArrayList<>(count);
        List<String> middles = new ArrayList<>();
        middles.add("");
        for (char m = 'A'; m <= 'Z'; m++) {
            middles.add(m + ". ");
        }
        outer:
        for (String middle : middles) {
          for (String fn : first) {
            for (String ln : last) {
                String subject = fn + " " + middle + ln;
                for (String rel : rels) {
                    for (String t : templates.get(rel)) {
                        List<String> objs = objects.get(rel);
                        out.add(EditRequest.of(t.replace("{}", subject), subject, objs.get(rnd.nextInt(objs.size()))));
                        if (out.size() == count) {
                            break outer;
                        }
                    }
                }
            }
          }
        }
        if (out.size() < count) {
            throw new IllegalStateException("only " + out.size() + " synthetic edits available");
        }
        java.util.Collections.shuffle(out, rnd);
        return out;
    }

    void latency(Path modelDir) throws IOException {
        int[] sizes = Arrays.stream(options.getOrDefault("sizes", "0,1000,100000").split(",")).mapToInt(Integer::parseInt).toArray();
        int queries = Integer.parseInt(options.getOrDefault("queries", "200"));
        int max = Arrays.stream(sizes).max().orElse(0);
        List<EditRequest> synthetic = syntheticEdits(modelDir.resolve("facts.json"), Math.max(max, 1), 7);
        List<KnowEditCase> probes = KnowEditCase.read(Path.of(options.getOrDefault("bench", "benchmarks/emend-facts")).resolve("counterfact.json"));
        System.out.println();
        System.out.println("| method | stored edits | base score ms | score ms (retrieve + context + model) | retrieve + plan ms | insert ms (one edit: embed + index) | first plan after insert ms | bulk load s |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (String method : methods()) {
            Map<String, Object> hp = overrides(method);
            for (int size : sizes) {
                LocalLedger ledger = new LocalLedger(engine);
                try (RecognitionState state = engine.newState()) {
                    long t = System.nanoTime();
                    for (int from = 0; from < size; from += 5000) {
                        ledger.edit(state, method, hp, EditMode.BATCH, synthetic.subList(from, Math.min(size, from + 5000)));
                    }
                    double bulkS = (System.nanoTime() - t) / 1e9;
                    // Warm-up, then timed queries: the probe's prompts (its paraphrases hit the stored
                    // counterfact edit below; the rest of the memory is synthetic).
                    ledger.edit(state, method, hp, EditMode.SINGLE, List.of(EditRequest.of(probes.get(0).prompt(),
                            probes.get(0).subject(), probes.get(0).targetNew())));
                    int warm = Math.min(20, queries);
                    for (int i = 0; i < warm; i++) {
                        KnowEditCase c = probes.get(i % probes.size());
                        state.score(c.prompt(), c.targetNew());
                        lm.score(lm.baseView(), c.prompt(), c.targetNew());
                    }
                    long baseNs = 0, allNs = 0, planNs = 0;
                    for (int i = 0; i < queries; i++) {
                        KnowEditCase c = probes.get(i % probes.size());
                        long q = System.nanoTime();
                        lm.score(lm.baseView(), c.prompt(), c.targetNew());
                        baseNs += System.nanoTime() - q;
                        q = System.nanoTime();
                        state.score(c.prompt(), c.targetNew());
                        allNs += System.nanoTime() - q;
                        q = System.nanoTime();
                        state.plan(c.prompt(), 4);
                        planNs += System.nanoTime() - q;
                    }
                    int inserts = 20;
                    long insNs = 0;
                    long firstNs = 0;
                    for (int i = 0; i < inserts; i++) {
                        KnowEditCase c = probes.get(1 + i);
                        long q = System.nanoTime();
                        ledger.edit(state, method, hp, EditMode.SINGLE, List.of(EditRequest.of(c.prompt(), c.subject(), c.targetNew())));
                        insNs += System.nanoTime() - q;
                        q = System.nanoTime();
                        state.plan(c.prompt(), 4); // the first query after an insert reopens the index reader
                        firstNs += System.nanoTime() - q;
                    }
                    System.out.printf(Locale.ROOT, "| %s | %,d | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f |%n", method, size,
                            baseNs / 1e6 / queries, allNs / 1e6 / queries, planNs / 1e6 / queries, insNs / 1e6 / inserts,
                            firstNs / 1e6 / inserts, bulkS);
                }
            }
        }
    }

    // ------------------------------------------------------------------ SERAC threshold calibration

    /**
     * Calibrates the SERAC gate: for every case of the calibration split (the {@code -train}
     * files), a fresh space holding only that case's edit; in-scope queries = its prompt and
     * rephrase, out-of-scope = its locality prompts (same subject other relation, other subjects
     * same relation). The best fused score of each query is computed for several fusion weights;
     * per weight the F1-optimal threshold is found on the calibration split and then checked on the
     * held-out evaluation files (counterfact, zsre, recent).
     */
    void calibrate(Path bench) {
        List<KnowEditCase> train = new ArrayList<>();
        List<KnowEditCase> test = new ArrayList<>();
        for (String f : List.of("counterfact", "zsre", "recent")) {
            if (Files.exists(bench.resolve(f + "-train.json"))) {
                train.addAll(KnowEditCase.read(bench.resolve(f + "-train.json")));
            }
            if (Files.exists(bench.resolve(f + ".json"))) {
                test.addAll(KnowEditCase.read(bench.resolve(f + ".json")));
            }
        }
        int n = n(100_000);
        test = test.subList(0, Math.min(n, test.size()));
        List<double[]> trainScores = gateScores(train);
        List<double[]> testScores = gateScores(test);
        System.out.println();
        System.out.printf(Locale.ROOT, "calibration split: %d cases (%d queries); held-out: %d cases (%d queries)%n",
                train.size(), trainScores.size(), test.size(), testScores.size());
        System.out.println();
        System.out.println("| bm25_weight | knn_weight | threshold (max F1 on -train) | F1 train | precision train | recall train | F1 held-out | precision held-out | recall held-out |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (double w : new double[] {0, 0.25, 0.5, 0.75, 1}) {
            var cal = dev.emend.recognition.serac.ThresholdCalibration.best(fused(trainScores, w));
            var held = dev.emend.recognition.serac.ThresholdCalibration.at(fused(testScores, w), cal.threshold());
            System.out.printf(Locale.ROOT, "| %.2f | %.2f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |%n", w, 1 - w,
                    cal.threshold(), cal.f1(), cal.precision(), cal.recall(), held.f1(), held.precision(), held.recall());
        }
    }

    private static List<double[]> fused(List<double[]> scores, double w) {
        List<double[]> out = new ArrayList<>(scores.size());
        for (double[] s : scores) {
            out.add(new double[] {w * s[0] + (1 - w) * s[1], s[2]});
        }
        return out;
    }

    /** Per query: {best hit's normalised BM25, its cosine, 1 if in scope else 0}. */
    private List<double[]> gateScores(List<KnowEditCase> cases) {
        List<double[]> out = new ArrayList<>();
        LocalLedger ledger = new LocalLedger(engine);
        for (KnowEditCase c : cases) {
            try (RecognitionState state = engine.newState()) {
                ledger.edit(state, RecognitionMethods.SERAC, Map.of(), EditRequest.of(c.prompt(), c.subject(), c.targetNew()));
                out.add(best(state, c.prompt(), 1));
                if (c.rephrase() != null) {
                    out.add(best(state, c.rephrase(), 1));
                }
                for (KnowEditCase.Probe p : c.locality()) {
                    out.add(best(state, p.prompt(), 0));
                }
            }
        }
        return out;
    }

    private static double[] best(RecognitionState state, String query, int label) {
        // One stored edit: the single hit carries both scores whatever the fusion weights.
        var hits = state.retrieve(query, new dev.emend.recognition.retrieval.Fusion(0.5, 0.5, 5));
        return hits.isEmpty() ? new double[] {0, -1, label} : new double[] {hits.get(0).bm25(), hits.get(0).cosine(), label};
    }

    /** Prints, for the first N cases, the prompt each method builds and the greedy answer. */
    void show(Path file) {
        List<KnowEditCase> cases = KnowEditCase.read(file);
        for (String method : methods()) {
            LocalLedger ledger = new LocalLedger(engine);
            for (KnowEditCase c : cases.subList(0, Math.min(n(3), cases.size()))) {
                try (RecognitionState state = engine.newState()) {
                    ledger.edit(state, method, overrides(method), EditRequest.of(c.prompt(), c.subject(), c.targetNew()));
                    for (String q : List.of(c.prompt(), c.rephrase() == null ? c.prompt() : c.rephrase())) {
                        var a = state.generate(q, dev.emend.core.runtime.GenerationOptions.greedy(8));
                        System.out.printf(Locale.ROOT, "%s target=%s%n  prompt: %s%n  answer: %s%n  notes: %s%n", method,
                                c.targetNew(), a.promptUsed().replace(lm.eosText(), "<EOS>"), a.value().text(), a.notes());
                    }
                }
            }
        }
    }
}
