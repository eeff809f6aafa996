package dev.emend.mastery.mend;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.ProbeArgs;
import dev.emend.core.model.Hooks;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.probe.SingleEditProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures single MEND edits with the model's trained editor on a KnowEdit-format file, each in a
 * fresh overlay: Edit Succ, Generalization, Locality ({@link SingleEditProbe}) and Portability
 * (teacher-forced token accuracy of each portability answer after the edit, EasyEdit's definition;
 * the mean over the cases that have portability pairs),
 * ×100, and seconds per edit.
 *
 * <pre>
 * MendProbe MODEL_DIR KNOWEDIT_JSON N [--editor=default] [--lr_scale=1]
 * </pre>
 * With {@code -Dprobe.verbose=true} it prints each case's target length, Edit Succ and edit NLL before the edit.
 */
public final class MendProbe {
    private MendProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (!ProbeArgs.run(args, MendProbe::probe)) {
            System.exit(2);
        }
    }

    static void probe(String[] args) throws IOException {
        ProbeArgs parsed = ProbeArgs.parse(args, 3, "MendProbe MODEL_DIR KNOWEDIT_JSON N [--editor=default] [--lr_scale=1]");
        List<String> pos = parsed.positional();
        Map<String, String> opt = parsed.options();
        Path modelDir = Path.of(pos.get(0));
        JsonArray cases = JsonParser.parseString(Files.readString(Path.of(pos.get(1)))).getAsJsonArray();
        int n = Math.min(Integer.parseInt(pos.get(2)), cases.size());
        double lrScale = Double.parseDouble(opt.getOrDefault("lr_scale", "1"));
        try (LanguageModel lm = Checkpoints.load(modelDir)) {
            Map<String, Object> overrides = opt.containsKey("editor") ? Map.of("editor", opt.get("editor")) : Map.of();
            MendHyperParams hp = MendTrainer.hyperParams(lm, modelDir.getFileName().toString(), overrides);
            MendNetwork net = MendEditorFile.read(MendEditorFile.resolve(lm, hp.editor()), lm, hp);
            MendEditor editor = new MendEditor(lm, net);
            System.out.printf(Locale.ROOT, "model %s (%s), editor %s (step %d), %d cases of %s, lr_scale %g%n", modelDir,
                    lm.fingerprint(), MendEditorFile.resolve(lm, hp.editor()), net.steps(), n, pos.get(1), lrScale);
            int[] index = {0};
            double[] portability = {0, 0}; // sum of per-case means, cases with portability pairs
            SingleEditProbe.Row r = SingleEditProbe.run(lm, cases, n, 1, (overlay, prompt, subject, target) -> {
                MendEditor.Result res = editor.edit(new ModelView(overlay, Hooks.NONE), List.<String[]>of(new String[] {prompt, target}),
                        lrScale);
                MemitEditor.apply(overlay, res.update());
                JsonObject c = cases.get(index[0]++).getAsJsonObject();
                double port = 0;
                List<String[]> pairs = portability(c);
                for (String[] p : pairs) {
                    port += lm.score(new ModelView(overlay, Hooks.NONE), p[0], p[1]).tokenAccuracy();
                }
                if (Boolean.getBoolean("probe.verbose")) {
                    dev.emend.core.runtime.ScoreResult after = lm.score(new ModelView(overlay, Hooks.NONE), prompt, target);
                    System.out.printf(Locale.ROOT, "case %d: %s -> %s: %d target tokens, Edit Succ %.2f, edit NLL before %.2f, ‖ΔW‖ %.2f%n",
                            index[0] - 1, prompt, target, after.targetIds().length, after.tokenAccuracy(), res.nllBefore(),
                            res.update().deltaNorms()[0]);
                }
                if (!pairs.isEmpty()) {
                    portability[0] += port / pairs.size();
                    portability[1]++;
                }
                return new double[] {res.update().deltaNorms()[0]};
            });
            System.out.println("| method | Edit Succ | Generalization | Portability | Locality | pre-edit Succ | s/edit | mean ‖ΔW‖ |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| MEND | %.1f | %.1f | %.1f | %.1f | %.1f | %.3f | %.2f |%n", r.editSucc(), r.generalization(),
                    100 * portability[0] / portability[1], r.locality(), r.preEdit(), r.secondsPerEdit(), r.extras()[0]);
        }
    }

    /** Every (prompt, answer) under the case's portability keys; a list answer contributes its first alias. */
    static List<String[]> portability(JsonObject c) {
        List<String[]> out = new ArrayList<>();
        if (!c.has("portability") || !c.get("portability").isJsonObject()) {
            return out;
        }
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("portability").entrySet()) {
            for (JsonElement item : e.getValue().getAsJsonArray()) {
                JsonElement gt = item.getAsJsonObject().get("ground_truth");
                while (gt.isJsonArray()) {
                    gt = gt.getAsJsonArray().get(0);
                }
                out.add(new String[] {item.getAsJsonObject().get("prompt").getAsString(), gt.getAsString()});
            }
        }
        return out;
    }
}
