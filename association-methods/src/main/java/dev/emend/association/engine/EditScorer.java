package dev.emend.association.engine;

import com.google.gson.JsonObject;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.KnowEditCases;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ScoreResult;
import java.util.ArrayList;
import java.util.List;

/**
 * EasyEdit's teacher-forced single-case metrics against any {@link SpaceState}: Edit Succ
 * (token accuracy of target_new after the prompt), Generalization (same after the rephrase
 * prompt) and Locality (argmax agreement on each locality prompt + ground truth with the
 * unedited base model). The same measurement as bench's SingleEditProbe (mastery) but through the
 * phase SPI, so any phase's state can be scored; the KnowEdit parsing and the agreement are shared
 * from {@link KnowEditCases}. Only association uses it so far (mastery's probes score overlays
 * directly, recognition's probe scores in batches), so it stays here.
 */
public final class EditScorer {
    /** One KnowEdit case as the scorer needs it, with the base model's locality answers. */
    public record Case(EditRequest request, String rephrase, List<String[]> locality, List<int[]> baseArgmax) {}

    private EditScorer() {
    }

    /** Reads a KnowEdit case and records the unedited model's locality argmaxes. */
    public static Case read(LanguageModel lm, JsonObject c) {
        String prompt = c.get("prompt").getAsString();
        String subject = c.has("subject") ? c.get("subject").getAsString() : "";
        String target = c.get("target_new").getAsString();
        String rephrase = c.has("rephrase_prompt") && !c.get("rephrase_prompt").isJsonNull()
                ? c.get("rephrase_prompt").getAsString() : null;
        List<String[]> loc = KnowEditCases.localityPairs(c);
        List<int[]> base = new ArrayList<>();
        for (String[] p : loc) {
            base.add(lm.score(lm.baseView(), p[0], p[1]).argmaxIds());
        }
        return new Case(EditRequest.of(prompt, subject, target), rephrase, loc, base);
    }

    /** {Edit Succ, Generalization (NaN without rephrase), Locality (NaN without probes)} in [0, 1]. */
    public static double[] score(SpaceState state, Case c) {
        double es = state.score(c.request().prompt(), c.request().targetNew()).value().tokenAccuracy();
        double gen = c.rephrase() == null ? Double.NaN : state.score(c.rephrase(), c.request().targetNew()).value().tokenAccuracy();
        double loc = Double.NaN;
        if (!c.locality().isEmpty()) {
            double agree = 0;
            for (int j = 0; j < c.locality().size(); j++) {
                ScoreResult r = state.score(c.locality().get(j)[0], c.locality().get(j)[1]).value();
                int[] a = r.argmaxIds();
                int[] b = c.baseArgmax().get(j);
                agree += KnowEditCases.argmaxAgreement(a, b);
            }
            loc = agree / c.locality().size();
        }
        return new double[] {es, gen, loc};
    }
}
