package dev.emend.mastery.sequential;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.KnowEditCases;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.edit.Progress;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.MasteryState;
import dev.emend.mastery.engine.StatsCorpus;
import dev.emend.mastery.probe.SingleEditProbe;
import dev.emend.mastery.stats.CovarianceCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Sequential (and batch) editing through the mastery engine, for any mastery method the registry
 * knows: the first N cases of a KnowEdit-format file are written one batch of B after another into
 * ONE space, each batch computed on the weights the previous ones left (exactly what the service
 * does with a sequential call), and all N are scored at the end against the unedited model with
 * {@link SingleEditProbe}'s metrics (Edit Succ, Generalization, Locality, ×100). N = B is a single
 * batch edit; a method without batch mode edits one request at a time. With {@code --fresh} each
 * batch goes into a space of its own and is scored there: {@code --fresh --batch=1} is the
 * single-edit protocol (each case edited alone on the unedited model).
 *
 * <pre>
 * SequentialProbe MODEL_DIR CASES_JSON[,MORE_JSON...] N METHODS [--batch=1] [--fresh] [--stats-dir=DIR]
 *     [--corpus=FILE] [--model-name=NAME] [--set=k=v;k=v] [--set.METHOD=k=v;k=v] [--score-at=10,20]
 * </pre>
 * METHODS is a comma list of mastery method names (case-insensitive). Each starts from its defaults
 * for the model ({@code hparams/<METHOD>/<model-name>.yaml}, model name = the directory's name
 * unless {@code --model-name} says otherwise); {@code --set} overrides, for every method, the hparams
 * that method declares (others are ignored), {@code --set.METHOD} overrides that method's (an
 * unknown hparam there is an error). The second-moment statistics come from {@code --corpus} or the
 * model's own stats corpus, cached in {@code --stats-dir}. Several case files are concatenated in
 * order.
 */
public final class SequentialProbe {
    private SequentialProbe() {
    }

    private static final String USAGE = "SequentialProbe MODEL_DIR CASES_JSON[,MORE_JSON...] N METHODS [--batch=1]"
            + " [--fresh] [--stats-dir=DIR] [--corpus=FILE] [--model-name=NAME] [--set=k=v;k=v] [--set.METHOD=k=v;k=v]"
            + " [--score-at=10,20,...]";

    public record Result(SingleEditProbe.Row row, int edits, int batch) {}

    /** Prints the progress of a large batch to stderr every 10 % (nothing for small batches). */
    private static Progress progress(int n) {
        long t0 = System.nanoTime();
        int[] last = {-1};
        return n < 50 ? Progress.NONE : (stage, fraction) -> {
            int tenth = (int) Math.floor(fraction * 10);
            if (tenth != last[0]) {
                last[0] = tenth;
                System.err.printf(Locale.ROOT, "  %s: %.0f %%, %.0f s%n", stage, 100 * fraction, (System.nanoTime() - t0) / 1e9);
            }
        };
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, SequentialProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 4, USAGE);
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        JsonArray cases = new JsonArray();
        for (String f : pos.get(1).split(",")) {
            cases.addAll(JsonParser.parseString(Files.readString(Path.of(f.trim()))).getAsJsonArray());
        }
        int requested = Integer.parseInt(pos.get(2));
        int n = Math.min(requested, cases.size());
        if (n < requested) {
            System.err.printf(Locale.ROOT, "only %d cases in %s; measuring %d%n", cases.size(), pos.get(1), n);
        }
        Set<Integer> scoreAt = new TreeSet<>();
        for (String k : opt.getOrDefault("score-at", "").split(",")) {
            if (!k.isBlank()) {
                scoreAt.add(Integer.parseInt(k.trim()));
            }
        }
        int batch = Integer.parseInt(opt.getOrDefault("batch", "1"));
        if (batch < 1) {
            throw new ProbeArgs.UsageException(USAGE + " (--batch must be at least 1, got " + batch + ")");
        }
        Path statsDir = Path.of(opt.getOrDefault("stats-dir", System.getProperty("java.io.tmpdir") + "/emend-rome-stats"));
        String modelName = opt.getOrDefault("model-name", modelDir.getFileName().toString());
        Map<String, Object> common = ProbeArgs.hparams(opt.getOrDefault("set", ""));

        try (LanguageModel lm = Checkpoints.load(modelDir);
             MasteryEngine engine = new MasteryEngine(lm, modelName, new CovarianceCache(statsDir),
                     StatsCorpus.lazy(modelDir, Optional.ofNullable(opt.get("corpus")).map(Path::of)))) {
            System.out.printf(Locale.ROOT, "model %s (%s, %d layers), %d cases from %s, batch %d%n", modelDir,
                    lm.fingerprint(), lm.config().numLayers(), n, pos.get(1), batch);
            System.out.println("| method | edits | batch | Edit Succ | Generalization | Locality | pre-edit Succ | s/edit"
                    + " | hparams set |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            for (String name : pos.get(3).split(",")) {
                MethodDescriptor method = engine.method(name.trim());
                Map<String, Object> set = new LinkedHashMap<>();
                common.forEach((k, v) -> method.hparam(k).ifPresent(s -> set.put(k, v)));
                set.putAll(ProbeArgs.hparams(opt.getOrDefault("set." + method.name(),
                        opt.getOrDefault("set." + name.trim(), ""))));
                Hparams hp = Hparams.resolve(method, set);
                boolean batches = method.modes().contains(EditMode.BATCH);
                int b = !batches ? 1 : method.maxBatchSize() > 0 ? Math.min(batch, method.maxBatchSize()) : batch;
                if (b != batch) {
                    System.err.printf(Locale.ROOT, "%s: batches of %d (%s)%n", method.name(), b,
                            batches ? "its max_batch_size" : "no batch mode");
                }
                run(lm, engine, method, hp, cases, n, b, opt.containsKey("fresh"), scoreAt, r -> {
                    SingleEditProbe.Row row = r.row();
                    System.out.printf(Locale.ROOT, "| %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %s |%n", method.name(),
                            r.edits(), r.batch(), row.editSucc(), row.generalization(), row.locality(), row.preEdit(),
                            row.secondsPerEdit(), set.isEmpty() ? "defaults (" + method.hparamsSource() + ")" : set);
                });
            }
        }
    }

    /**
     * Writes the first {@code n} cases in batches of {@code batch} into one space, in order, and
     * scores every case written so far on the current weights after the last batch, and also
     * whenever the count of edits reaches a value of {@code scoreAt}; with {@code fresh}, every batch
     * goes into a space of its own and its cases are scored there (the single-edit protocol when
     * {@code batch} is 1). Seconds per edit count only the edit computations (validate, compute,
     * apply).
     */
    static void run(LanguageModel lm, MasteryEngine engine, MethodDescriptor method, Hparams hp, JsonArray cases, int n,
                    int batch, boolean fresh, Set<Integer> scoreAt, Consumer<Result> report) {
        List<JsonObject> chosen = new ArrayList<>();
        List<EditRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonObject c = cases.get(i).getAsJsonObject();
            chosen.add(c);
            requests.add(KnowEditCases.request(c));
        }
        List<SingleEditProbe.Baseline> baselines = new ArrayList<>();
        Totals freshTotals = new Totals();
        double seconds = 0;
        long start = System.nanoTime();
        MasteryState shared = fresh ? null : (MasteryState) engine.newState();
        try {
            int done = 0;
            int batches = 0;
            while (done < n) {
                int from = done;
                List<EditRequest> chunk = requests.subList(from, Math.min(n, from + batch));
                List<String> ids = new ArrayList<>();
                for (int i = from; i < from + chunk.size(); i++) {
                    ids.add("e" + i);
                }
                MasteryState state = fresh ? (MasteryState) engine.newState() : shared;
                try {
                    long t0 = System.nanoTime();
                    engine.validate(method, hp, chunk.size() > 1 ? EditMode.BATCH : EditMode.SINGLE, chunk);
                    ComputedEdit e = engine.compute(state, method, hp, chunk, progress(chunk.size()));
                    state.apply(new LedgerUnit(ids, method.name(), hp, chunk, e.payload()));
                    seconds += (System.nanoTime() - t0) / 1e9;
                    done += chunk.size();
                    while (baselines.size() < done) {
                        baselines.add(SingleEditProbe.baseline(lm, chosen.get(baselines.size())));
                    }
                    if (fresh) {
                        freshTotals.add(lm, state, chosen.subList(from, done), baselines.subList(from, done));
                    }
                } finally {
                    if (fresh) {
                        state.close();
                    }
                }
                batches++;
                if (batches % Math.max(1, 10 / batch) == 0 || done == n) {
                    System.err.printf(Locale.ROOT, "  %s: %d/%d edits, %.0f s%n", method.name(), done, n,
                            (System.nanoTime() - start) / 1e9);
                }
                if (fresh && done == n) {
                    report.accept(new Result(freshTotals.row(seconds / done), n, batch));
                } else if (!fresh && (done == n || scoreAt.contains(done))) {
                    Totals t = new Totals();
                    t.add(lm, shared, chosen.subList(0, done), baselines.subList(0, done));
                    report.accept(new Result(t.row(seconds / done), done, batch));
                }
            }
        } finally {
            if (shared != null) {
                shared.close();
            }
        }
    }

    /** Sums of the cases' scores (fractions), turned into a row of means ×100. */
    private static final class Totals {
        private double succ;
        private double gen;
        private double loc;
        private double pre;
        private int locCases;
        private int cases;

        void add(LanguageModel lm, MasteryState state, List<JsonObject> chosen, List<SingleEditProbe.Baseline> baselines) {
            for (int i = 0; i < chosen.size(); i++) {
                SingleEditProbe.Baseline base = baselines.get(i);
                SingleEditProbe.CaseScore s = SingleEditProbe.score(lm, state.view(), chosen.get(i), base);
                pre += base.preEdit();
                succ += s.editSucc();
                gen += Double.isNaN(s.generalization()) ? 0 : s.generalization();
                if (!Double.isNaN(s.locality())) {
                    loc += s.locality();
                    locCases++;
                }
                cases++;
            }
        }

        SingleEditProbe.Row row(double secondsPerEdit) {
            return new SingleEditProbe.Row(100 * succ / cases, 100 * gen / cases,
                    locCases == 0 ? Double.NaN : 100 * loc / locCases, 100 * pre / cases, secondsPerEdit, new double[0]);
        }
    }
}
