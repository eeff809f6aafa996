package dev.emend.mastery.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.KnowEditCases;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.MasteryState;
import dev.emend.mastery.engine.StatsCorpus;
import dev.emend.mastery.probe.SingleEditProbe;
import dev.emend.mastery.stats.CovarianceCache;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Latency and memory of the mastery engine, printed as Markdown tables (BENCHMARKS.md records
 * them): second-moment computation per layer (cold, into a scratch cache), ROME and R-ROME median
 * seconds per edit with C cached, MEMIT seconds for one batch of N edits, and the memory of
 * S spaces holding the same MEMIT batch each vs the base model.
 *
 * <pre>MasteryBench MODEL_DIR COUNTERFACT_JSON [--rome=10] [--memit=100,1000] [--spaces=10] [--stats-dir=.cache/stats]</pre>
 */
public final class MasteryBench {
    private MasteryBench() {
    }

    public static void main(String[] args) throws Exception {
        if (!ProbeArgs.run(args, MasteryBench::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws Exception {
        ProbeArgs a = ProbeArgs.parse(args, 2,
                "MasteryBench MODEL_DIR COUNTERFACT_JSON [--rome=10] [--memit=100] [--spaces=10] [--stats-dir=.cache/stats]");
        Path modelDir = Path.of(a.positional().get(0));
        JsonArray cases = JsonParser.parseString(Files.readString(Path.of(a.positional().get(1)))).getAsJsonArray();
        int romeN = Integer.parseInt(a.options().getOrDefault("rome", "10"));
        int[] memitNs = Arrays.stream(a.options().getOrDefault("memit", "100").split(",")).mapToInt(Integer::parseInt).toArray();
        int spaces = Integer.parseInt(a.options().getOrDefault("spaces", "10"));
        Path statsDir = Path.of(a.options().getOrDefault("stats-dir", ".cache/stats"));
        try (LanguageModel lm = Checkpoints.load(modelDir)) {
            List<String> corpus = StatsCorpus.load(modelDir, Optional.empty());
            System.out.printf(Locale.ROOT, "model %s (%s), %d corpus documents, %d cases%n%n", modelDir, lm.fingerprint(),
                    corpus.size(), cases.size());

            // C, cold: a scratch cache directory so nothing is read from disk.
            Path scratch = Files.createTempDirectory("emend-stats");
            MasteryEngine cold = new MasteryEngine(lm, modelDir.getFileName().toString(), new CovarianceCache(scratch), corpus);
            System.out.println("| step | seconds |");
            System.out.println("|---|---|");
            for (int layer : new int[] {0, 1}) {
                long t0 = System.nanoTime();
                cold.secondMoment(layer, 100_000, Progress.NONE);
                System.out.printf(Locale.ROOT, "| second moment C, layer %d, %d documents (cold) | %.1f |%n", layer,
                        corpus.size(), (System.nanoTime() - t0) / 1e9);
            }

            MasteryEngine engine = new MasteryEngine(lm, modelDir.getFileName().toString(), new CovarianceCache(statsDir), corpus);
            for (String method : List.of("ROME", "R-ROME")) {
                MethodDescriptor m = MethodDescriptor.find(engine.methods(), method).orElseThrow();
                Hparams hp = Hparams.defaults(m);
                engine.secondMoment(hp.getIntList("layers").get(0), hp.getInt("mom2_n_samples"), Progress.NONE);
                double[] seconds = new double[romeN];
                for (int i = 0; i < romeN; i++) {
                    try (MasteryState s = (MasteryState) engine.newState()) {
                        long t0 = System.nanoTime();
                        engine.compute(s, m, hp, List.of(request(cases, i)), Progress.NONE);
                        seconds[i] = (System.nanoTime() - t0) / 1e9;
                    }
                }
                Arrays.sort(seconds);
                System.out.printf(Locale.ROOT, "| %s, median per edit over %d edits (C cached, %d steps) | %.2f |%n", method,
                        romeN, hp.getInt("v_num_grad_steps"), seconds[romeN / 2]);
            }
            MethodDescriptor memit = MethodDescriptor.find(engine.methods(), "MEMIT").orElseThrow();
            Hparams mhp = Hparams.defaults(memit);
            ComputedEdit lastBatch = null;
            List<EditRequest> lastRequests = null;
            for (int n : memitNs) {
                List<EditRequest> batch = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    batch.add(request(cases, i % cases.size()));
                }
                try (MasteryState s = (MasteryState) engine.newState()) {
                    long t0 = System.nanoTime();
                    lastBatch = engine.compute(s, memit, mhp, batch, Progress.NONE);
                    System.out.printf(Locale.ROOT, "| MEMIT, one batch of %d edits (layers %s, C cached) | %.1f |%n", n,
                            mhp.getIntList("layers"), (System.nanoTime() - t0) / 1e9);
                }
                lastRequests = batch;
            }

            // Memory: S spaces each holding the last MEMIT batch (copy-on-write: only W_out of the edited layers).
            long baseBytes = 0;
            for (String name : lm.weights().names()) {
                baseBytes += lm.weights().get(name).size() * lm.weights().get(name).getDataType().getNumOfBytes();
            }
            long before = rss();
            List<MasteryState> states = new ArrayList<>();
            long footprint = 0;
            for (int i = 0; i < spaces; i++) {
                MasteryState s = (MasteryState) engine.newState();
                List<String> ids = new ArrayList<>();
                for (int k = 0; k < lastRequests.size(); k++) {
                    ids.add("e" + k);
                }
                s.apply(new LedgerUnit(ids, "MEMIT", mhp, lastRequests, lastBatch.payload()));
                footprint += s.footprintBytes();
                states.add(s);
            }
            long after = rss();
            System.out.println();
            System.out.println("| memory | MiB |");
            System.out.println("|---|---|");
            System.out.printf(Locale.ROOT, "| base model weights (fp32) | %.1f |%n", baseBytes / 1048576.0);
            System.out.printf(Locale.ROOT, "| %d spaces × %d edits: overlay matrices held | %.1f |%n", spaces,
                    lastRequests.size(), footprint / 1048576.0);
            System.out.printf(Locale.ROOT, "| %d spaces × %d edits: resident memory growth (VmRSS) | %.1f |%n", spaces,
                    lastRequests.size(), (after - before) / 1048576.0);
            System.out.printf(Locale.ROOT, "| ledger payload of one %d-edit MEMIT unit | %.2f |%n", lastRequests.size(),
                    lastBatch.payload().length / 1048576.0);
            states.forEach(MasteryState::close);
        }
    }

    private static EditRequest request(JsonArray cases, int i) {
        return KnowEditCases.request(cases.get(i).getAsJsonObject());
    }

    private static long rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

}
