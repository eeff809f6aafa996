package dev.emend.mastery.ft;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.mastery.probe.SingleEditProbe;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures single FT-L / FT-M edits on a KnowEdit-format file, each in a fresh overlay:
 * Edit Succ (token accuracy of target_new after the prompt), Generalization (same on the
 * rephrase prompt), Locality (argmax agreement with the unedited model on the locality
 * prompts + ground truths), ×100, and seconds per edit.
 *
 * <pre>
 * FtProbe MODEL_DIR COUNTERFACT_JSON N FT-L|FT-M LAYERS [--steps=25] [--lr=5e-4] [--eps=5e-4]
 * </pre>
 * LAYERS is one index or a comma list (a sweep prints one row per layer); --eps is FT-L's norm
 * constraint (FT-M runs without one).
 */
public final class FtProbe {
    private FtProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, FtProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        String usage = "FtProbe MODEL_DIR COUNTERFACT_JSON N FT-L|FT-M LAYERS [--steps=25] [--lr=5e-4] [--eps=5e-4]";
        ProbeArgs parsed = ProbeArgs.parse(args, 5, usage);
        if (!List.of("FT-L", "FT-M").contains(parsed.get(3))) {
            throw new ProbeArgs.UsageException(usage);
        }
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        JsonArray cases = JsonParser.parseString(Files.readString(Path.of(pos.get(1)))).getAsJsonArray();
        int n = Math.min(Integer.parseInt(pos.get(2)), cases.size());
        boolean ftM = pos.get(3).equals("FT-M");
        List<Integer> layers = new ArrayList<>();
        for (String l : pos.get(4).split(",")) {
            layers.add(Integer.parseInt(l.trim()));
        }
        int steps = Integer.parseInt(opt.getOrDefault("steps", "25"));
        double lr = Double.parseDouble(opt.getOrDefault("lr", "5e-4"));
        double eps = ftM ? 0 : Double.parseDouble(opt.getOrDefault("eps", "5e-4"));

        try (LanguageModel lm = Checkpoints.load(modelDir)) {
            System.out.printf(Locale.ROOT, "model %s (%s, %d layers, d_model %d), %d cases, steps %d, lr %g%s%n", modelDir,
                    lm.fingerprint(), lm.config().numLayers(), lm.config().hiddenSize(), n, steps, lr,
                    ftM ? "" : String.format(Locale.ROOT, ", ε %g", eps));
            System.out.println("| method | layer | Edit Succ | Generalization | Locality | pre-edit Succ | s/edit | mean steps |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            for (int layer : layers) {
                FtHyperParams base = ftM ? FtHyperParams.ftM(layer) : FtHyperParams.ftL(layer);
                FtEditor editor = new FtEditor(lm, base.withOptimisation(steps, lr, eps));
                SingleEditProbe.Row r = SingleEditProbe.run(lm, cases, n, 1, (overlay, prompt, subject, target) ->
                        new double[] {editor.edit(overlay, Hooks.NONE, List.of(new FtRequest(prompt, target))).steps()});
                System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f |%n", ftM ? "FT-M" : "FT-L",
                        layer, r.editSucc(), r.generalization(), r.locality(), r.preEdit(), r.secondsPerEdit(), r.extras()[0]);
            }
        }
    }
}
