package dev.emend.mastery.probe;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.memit.MemitHyperParams;
import dev.emend.mastery.memit.MemitUpdate;
import dev.emend.mastery.rome.RomeEditor;
import dev.emend.mastery.rome.RomeHyperParams;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.rome.RomeUpdate;
import dev.emend.mastery.stats.SecondMoment;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times ROME edits or one MEMIT batch with the reference harness's settings, for a side-by-side
 * with EasyEdit ({@code ../shared/reference-harness}): the same requests file
 * ({@code [{prompt, subject, target_new}]}), the single context template "{}", hyperparameters
 * given as options, C (MEMIT) as raw little-endian float32 {@code d_ff × d_ff} files. Prints per
 * edit (ROME) or per batch (MEMIT) wall seconds, process CPU seconds and optimisation steps; run
 * it with {@code -Dai.djl.pytorch.num_threads=1} for one thread.
 *
 * <pre>
 * ZStepTiming rome MODEL_DIR REQUESTS_JSON [--layer=3] [--fact-token=last] [--steps=200] [--lr=1.0]
 *             [--wd=1e-3] [--clamp=50] [--kl=0.0625] [--repeat=1]
 * ZStepTiming memit MODEL_DIR REQUESTS_JSON --mom2=PATH_WITH_{}_FOR_THE_LAYER [--layers=3,4] [--lambda=100]
 *             [--fact-token=last] [--steps=100] [--lr=1.0] [--wd=1e-3] [--clamp=0.75] [--kl=0.0625]
 * </pre>
 */
public final class ZStepTiming {
    private ZStepTiming() {
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, ZStepTiming::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 3, "ZStepTiming rome|memit MODEL_DIR REQUESTS_JSON [--options]");
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        List<RomeRequest> requests = new ArrayList<>();
        JsonArray cases = JsonParser.parseString(Files.readString(Path.of(pos.get(2)))).getAsJsonArray();
        for (JsonElement e : cases) {
            JsonObject c = e.getAsJsonObject();
            requests.add(new RomeRequest(c.get("prompt").getAsString(), c.get("subject").getAsString(),
                    c.get("target_new").getAsString()));
        }
        String factToken = opt.getOrDefault("fact-token", "last");
        double wd = Double.parseDouble(opt.getOrDefault("wd", "1e-3"));
        double kl = Double.parseDouble(opt.getOrDefault("kl", "0.0625"));
        try (LanguageModel lm = Checkpoints.load(Path.of(pos.get(1)))) {
            int n = lm.config().numLayers();
            if (pos.get(0).equals("rome")) {
                RomeHyperParams hp = new RomeHyperParams(List.of(Integer.parseInt(opt.getOrDefault("layer", "3"))), factToken,
                        Integer.parseInt(opt.getOrDefault("steps", "200")), Double.parseDouble(opt.getOrDefault("lr", "1.0")),
                        n - 1, wd, Double.parseDouble(opt.getOrDefault("clamp", "50")), kl, false, 1, 1, List.of(), false);
                rome(lm, hp, requests, Integer.parseInt(opt.getOrDefault("repeat", "1")));
            } else {
                List<Integer> layers = Arrays.stream(opt.getOrDefault("layers", "3,4").split(",")).map(Integer::parseInt).toList();
                MemitHyperParams hp = new MemitHyperParams(layers, factToken, Integer.parseInt(opt.getOrDefault("steps", "100")),
                        Double.parseDouble(opt.getOrDefault("lr", "1.0")), n - 1, wd,
                        Double.parseDouble(opt.getOrDefault("clamp", "0.75")), kl, true,
                        Double.parseDouble(opt.getOrDefault("lambda", "100")), 1, List.of());
                memit(lm, hp, requests, opt.get("mom2"));
            }
        }
    }

    private static void rome(LanguageModel lm, RomeHyperParams hp, List<RomeRequest> requests, int repeat) {
        RomeEditor editor = new RomeEditor(lm, hp, null);
        editor.contextTemplates();
        double wallSum = 0;
        double cpuSum = 0;
        long stepSum = 0;
        for (int i = 0; i < requests.size(); i++) {
            double bestWall = Double.MAX_VALUE;
            double bestCpu = 0;
            RomeUpdate u = null;
            for (int r = 0; r < repeat; r++) {
                long c0 = cpu();
                long t0 = System.nanoTime();
                u = editor.compute(lm.baseView(), requests.get(i));
                double wall = (System.nanoTime() - t0) / 1e9;
                if (wall < bestWall) {
                    bestWall = wall;
                    bestCpu = (cpu() - c0) / 1e9;
                }
            }
            wallSum += bestWall;
            cpuSum += bestCpu;
            stepSum += u.steps();
            System.out.printf(Locale.ROOT, "edit %d: %.3f s wall, %.3f s cpu, %d steps, %.1f ms cpu/step, p %.3f%n", i, bestWall,
                    bestCpu, u.steps(), 1e3 * bestCpu / u.steps(), u.targetProbability());
        }
        System.out.printf(Locale.ROOT, "ROME %d edits: mean %.3f s wall, %.3f s cpu per edit, %.1f steps, %.2f ms cpu/step%n",
                requests.size(), wallSum / requests.size(), cpuSum / requests.size(), (double) stepSum / requests.size(),
                1e3 * cpuSum / stepSum);
    }

    private static void memit(LanguageModel lm, MemitHyperParams hp, List<RomeRequest> requests, String mom2) throws IOException {
        if (mom2 == null || !mom2.contains("{}")) {
            throw new IllegalArgumentException("--mom2=PATH with {} for the layer (raw float32 d_ff x d_ff) is required");
        }
        Map<Integer, SecondMoment> cs = new HashMap<>();
        for (int layer : hp.layers()) {
            int dff = lm.model().mlpDown(layer).inFeatures();
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(Path.of(mom2.replace("{}", Integer.toString(layer)))))
                    .order(ByteOrder.LITTLE_ENDIAN);
            double[] m = new double[dff * dff];
            for (int i = 0; i < m.length; i++) {
                m[i] = b.getFloat();
            }
            cs.put(layer, new SecondMoment(layer, dff, 1, m));
        }
        MemitEditor editor = new MemitEditor(lm, hp, cs::get);
        editor.contextTemplates();
        long c0 = cpu();
        long t0 = System.nanoTime();
        MemitEditor.Targets t = editor.targets(lm.baseView(), requests);
        double zWall = (System.nanoTime() - t0) / 1e9;
        double zCpu = (cpu() - c0) / 1e9;
        MemitUpdate u = editor.compute(lm.baseView(), requests, t, "MEMIT", null);
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpuS = (cpu() - c0) / 1e9;
        long steps = Arrays.stream(u.steps()).sum();
        double p = Arrays.stream(u.targetProbabilities()).average().orElse(0);
        System.out.printf(Locale.ROOT, "MEMIT batch of %d: %.2f s wall, %.2f s cpu (z-step %.2f s wall, %.2f s cpu; %d steps"
                + " in all, %.1f per request; mean z-step p %.3f)%n", requests.size(), wall, cpuS, zWall, zCpu, steps,
                (double) steps / requests.size(), p);
    }

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
