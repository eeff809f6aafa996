package dev.emend.mastery.memit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.TinyFactModel;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.probe.ProbeFixture;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.stats.CovarianceCache;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a MEMIT batch writes at its own keys, per edited layer. */
class MemitKeysProbeTest {
    private static final String SET = "fact_token=last;v_num_grad_steps=10;mom2_n_samples=2000;layers=[2,3]";

    @Test
    void aLoneRequestGetsTheClosedFormShareAtEveryLayer(@TempDir Path tmp) {
        try (LanguageModel lm = TinyFactModel.load();
             MasteryEngine engine = new MasteryEngine(lm, "tiny", new CovarianceCache(tmp), TinyFactModel.statsCorpus())) {
            MemitHyperParams hp = MemitMethod.hyperParams(engine, Hparams.resolve(engine.method("MEMIT"),
                    Map.of("fact_token", "last", "v_num_grad_steps", 10, "mom2_n_samples", 2000, "layers", List.of(2, 3))));
            List<MemitKeysProbe.LayerStats> stats = MemitKeysProbe.measure(lm, engine, hp,
                    List.of(new RomeRequest("Anna Berg was born in", "Anna Berg", "Lima")), 0.5, new double[1]);
            assertEquals(List.of(2, 3), stats.stream().map(MemitKeysProbe.LayerStats::layer).toList());
            for (MemitKeysProbe.LayerStats s : stats) {
                // one key: P = kᵀ(λC + kkᵀ)⁻¹k = g/(1 + g), g = kᵀC⁻¹k/λ; all of it is the request's own
                double g = s.whitenedEnergy() / s.lambda();
                assertEquals(g / (1 + g), s.pii(), 1e-6 * (g / (1 + g)), s.toString());
                assertEquals(s.pii(), s.written(), 1e-9, s.toString());
                assertEquals(0.0, s.others(), 0.0, s.toString());
                assertTrue(s.pii() > 0 && s.pii() < 1, s.toString());
            }
        }
    }

    @Test
    void refusesABadCountAMissingFileOrNoCWithTheUsageLine(@TempDir Path tmp) throws Exception {
        String model = TinyFactModel.directory().toString();
        String cases = ProbeFixture.cases(tmp).toString();
        for (String[] args : List.of(new String[] {model, cases, "0"}, new String[] {model, cases, "x"},
                new String[] {model, tmp.resolve("missing.json").toString(), "2"},
                new String[] {model, cases, "2", "--corpus=" + ProbeFixture.corpus(tmp), "--stats-dir=" + tmp.resolve("stats"),
                    "--set=mom2_adjustment=false;v_num_grad_steps=2"})) {
            String text = ProbeFixture.stdout(() -> assertFalse(ProbeArgs.run(args, MemitKeysProbe::probe)));
            assertFalse(text.contains("| layer |"), text);
        }
    }

    @Test
    void printsOneRowPerEditedLayer(@TempDir Path tmp) throws Exception {
        Path cases = ProbeFixture.cases(tmp);
        String text = ProbeFixture.stdout(() -> MemitKeysProbe.main(new String[] {TinyFactModel.directory().toString(),
            cases.toString(), "2", "--stats-dir=" + tmp.resolve("stats"), "--corpus=" + ProbeFixture.corpus(tmp),
            "--set=" + SET, "--pairs=0"}));
        assertTrue(text.contains("2 requests in one batch, layers [2, 3]"), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("| 2 | ")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("| 3 | ")), text);
        assertTrue(text.lines().filter(l -> l.startsWith("| 2 | ") || l.startsWith("| 3 | "))
                .noneMatch(l -> l.contains("NaN") || l.contains("Infinity")), text);
        // with the bound at 0 the one pair is listed at each layer
        assertTrue(text.contains("layer 2: ") && text.contains("Anna Berg | Boris Lund"), text);
    }
}
