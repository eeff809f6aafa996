package dev.emend.association.engine;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures the association methods through the phase SPI on a KnowEdit-format file and prints
 * Markdown tables:
 * <pre>
 * AssociationProbe MODEL_DIR CASES_JSON single METHOD N [--set=name=value;name=value]
 * AssociationProbe MODEL_DIR CASES_JSON[,MORE.json] sequential METHOD T1,T2,... [--set=...]
 * AssociationProbe MODEL_DIR CASES_JSON latency GRACE 0,100,10000 [--set=...] [--queries=50]
 * </pre>
 * {@code single}: each case edited in a fresh space, then Edit Succ / Generalization / Locality
 * (×100) and seconds per edit. {@code sequential}: the first T cases applied one after another to
 * one space (each a ledger unit), then all T scored on that state (the "lifelong" protocol),
 * plus the edit time; with several T one pass writes max(T) edits and scores the first T cases
 * when the T-th edit is in, which is the same protocol for each T (the first T edits are the
 * same edits in the same order). Several case files are concatenated in order. {@code latency}: mean seconds per score() of a case prompt on the base state
 * and on a state whose GRACE codebook holds N entries (real keys of the file's prompts, rephrases
 * and locality prompts at the layer, padded with jittered copies; the values keep the layer's
 * output, so only the search is measured).
 */
public final class AssociationProbe {
    private AssociationProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, AssociationProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 5,
                "AssociationProbe MODEL_DIR CASES_JSON single|sequential|latency METHOD N [--set=k=v;k=v]");
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        JsonArray cases = new JsonArray();
        for (String f : pos.get(1).split(",")) {
            cases.addAll(JsonParser.parseString(Files.readString(Path.of(f.trim()))).getAsJsonArray());
        }
        try (LanguageModel lm = Checkpoints.load(Path.of(pos.get(0)));
             AssociationEngine engine = new AssociationEngine(lm, Path.of(pos.get(0)).getFileName().toString())) {
            MethodDescriptor method = engine.method(pos.get(3));
            Hparams hp = Hparams.resolve(method, ProbeArgs.hparams(opt.getOrDefault("set", "")));
            System.out.printf(Locale.ROOT, "model %s (%s), %s, hparams %s (defaults from %s)%n", pos.get(0), lm.fingerprint(),
                    method.name(), hp, method.hparamsSource());
            switch (pos.get(2)) {
                case "single" -> single(lm, engine, method, hp, cases, Integer.parseInt(pos.get(4)));
                case "sequential" -> sequential(lm, engine, method, hp, cases, pos.get(4));
                case "keys" -> Latency.keyDistances(lm, cases, Integer.parseInt(pos.get(4)));
                case "latency" -> Latency.run(lm, engine, hp, cases, pos.get(4), Integer.parseInt(opt.getOrDefault("queries", "50")));
                default -> throw new IllegalArgumentException("mode must be single, sequential or latency");
            }
        }
    }

    static LedgerUnit edit(AssociationEngine engine, SpaceState state, MethodDescriptor method, Hparams hp, EditRequest r,
                           String id) {
        engine.validate(method, hp, EditMode.SINGLE, List.of(r));
        ComputedEdit e = engine.compute(state, method, hp, List.of(r), Progress.NONE);
        LedgerUnit unit = new LedgerUnit(List.of(id), method.name(), hp, List.of(r), e.payload());
        state.apply(unit);
        if (Boolean.getBoolean("probe.verbose")) {
            System.err.println("  " + id + " " + r.prompt() + " -> " + r.targetNew() + ": " + e.diagnostics().get(0) + " " + e.notes().get(0));
        }
        return unit;
    }

    private static void single(LanguageModel lm, AssociationEngine engine, MethodDescriptor method, Hparams hp, JsonArray cases,
                               int n) {
        n = Math.min(n, cases.size());
        double es = 0;
        double gen = 0;
        double loc = 0;
        double pre = 0;
        double seconds = 0;
        int genN = 0;
        int locN = 0;
        SpaceState base = engine.newState();
        for (int i = 0; i < n; i++) {
            EditScorer.Case c = EditScorer.read(lm, cases.get(i).getAsJsonObject());
            pre += base.score(c.request().prompt(), c.request().targetNew()).value().tokenAccuracy();
            try (SpaceState s = engine.newState()) {
                long t0 = System.nanoTime();
                edit(engine, s, method, hp, c.request(), "e" + i);
                seconds += (System.nanoTime() - t0) / 1e9;
                double[] m = EditScorer.score(s, c);
                es += m[0];
                if (!Double.isNaN(m[1])) {
                    gen += m[1];
                    genN++;
                }
                if (!Double.isNaN(m[2])) {
                    loc += m[2];
                    locN++;
                }
            }
        }
        base.close();
        System.out.println("| method | N | Edit Succ | Generalization | Locality | pre-edit Succ | s/edit |");
        System.out.println("|---|---|---|---|---|---|---|");
        System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f |%n", method.name(), n, 100 * es / n,
                100 * gen / Math.max(1, genN), 100 * loc / Math.max(1, locN), 100 * pre / n, seconds / n);
    }

    private static void sequential(LanguageModel lm, AssociationEngine engine, MethodDescriptor method, Hparams hp,
                                   JsonArray cases, String checkpoints) {
        java.util.TreeSet<Integer> at = new java.util.TreeSet<>();
        for (String t : checkpoints.split(",")) {
            at.add(Math.min(Integer.parseInt(t.trim()), cases.size()));
        }
        int max = at.last();
        List<EditScorer.Case> cs = new ArrayList<>();
        for (int i = 0; i < max; i++) {
            cs.add(EditScorer.read(lm, cases.get(i).getAsJsonObject()));
        }
        System.out.println("| method | T | Rel | Gen | Loc | s/edit | s to score |");
        System.out.println("|---|---|---|---|---|---|---|");
        double seconds = 0;
        try (SpaceState s = engine.newState()) {
            for (int i = 0; i < max; i++) {
                long t0 = System.nanoTime();
                edit(engine, s, method, hp, cs.get(i).request(), "e" + i);
                seconds += (System.nanoTime() - t0) / 1e9;
                if ((i + 1) % 50 == 0) {
                    System.err.printf(Locale.ROOT, "  %d/%d edits, %.2f s/edit%n", i + 1, max, seconds / (i + 1));
                }
                int t = i + 1;
                if (!at.contains(t)) {
                    continue;
                }
                long s0 = System.nanoTime();
                double es = 0;
                double gen = 0;
                double loc = 0;
                int locN = 0;
                for (EditScorer.Case c : cs.subList(0, t)) {
                    double[] m = EditScorer.score(s, c);
                    es += m[0];
                    gen += Double.isNaN(m[1]) ? 0 : m[1];
                    if (!Double.isNaN(m[2])) {
                        loc += m[2];
                        locN++;
                    }
                }
                System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.2f | %.1f |%n", method.name(), t, 100 * es / t,
                        100 * gen / t, 100 * loc / Math.max(1, locN), seconds / t, (System.nanoTime() - s0) / 1e9);
                System.out.flush();
            }
        }
    }
}
