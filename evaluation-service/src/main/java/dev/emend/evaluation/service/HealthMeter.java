package dev.emend.evaluation.service;

import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.api.v1.GenerateResponse;
import dev.emend.api.v1.HealthFigures;
import dev.emend.api.v1.HealthSet;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.Probe;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.ScoreBatchRequest;
import dev.emend.api.v1.ScoreBatchResponse;
import dev.emend.api.v1.ScoreItem;
import dev.emend.evaluation.client.PhaseEditors;
import dev.emend.knowedit.metrics.NGramEntropy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The general-health check of a run (RunRequest.health; issue 20, the seed paper's "impact on
 * general ability"): perplexity of the health set's texts, recall of the facts no case of the run
 * names, and fluency of generations from neutral prompts, measured on one space of a phase
 * through its ScoreBatch and Generate, as a user of that space would get them.
 */
@ApplicationScoped
public class HealthMeter {
    static final int MAX_TEXTS = 2_000;
    static final int MAX_FACTS = 2_000;
    static final int MAX_FLUENCY_PROMPTS = 200;
    /** Items per ScoreBatch call: keeps one call's answer small and its time bounded. */
    private static final int CHUNK = 64;

    @Inject
    PhaseEditors phases;

    /**
     * Checks the health set of a request (nothing when it has none): sizes, texts of two words or
     * more, facts with a prompt and a ground truth, and a mode that leaves edits in place.
     */
    static void validate(RunRequest r, EditMode mode, boolean anyEdits) {
        if (!r.hasHealth()) {
            return;
        }
        HealthSet h = r.getHealth();
        if (h.getTextsCount() == 0 && h.getFactsCount() == 0 && h.getFluencyPromptsCount() == 0) {
            throw RunRejected.invalid("health", "is empty: give texts, facts or fluency_prompts (or leave health out)");
        }
        if (anyEdits && mode == EditMode.EDIT_MODE_SINGLE) {
            throw RunRejected.invalid("health", "needs mode EDIT_MODE_BATCH or EDIT_MODE_SEQUENTIAL: in single mode every edit"
                    + " is undone after it is scored, so the model after the run is the unedited one");
        }
        limit("health.texts", h.getTextsCount(), MAX_TEXTS);
        limit("health.facts", h.getFactsCount(), MAX_FACTS);
        limit("health.fluency_prompts", h.getFluencyPromptsCount(), MAX_FLUENCY_PROMPTS);
        for (int i = 0; i < h.getTextsCount(); i++) {
            if (split(h.getTexts(i)) == null) {
                throw RunRejected.invalid("health.texts[" + i + "]", "needs at least two words (the first is the prompt, the"
                        + " rest is scored), got '" + h.getTexts(i) + "'");
            }
        }
        for (int i = 0; i < h.getFactsCount(); i++) {
            Probe p = h.getFacts(i);
            if (p.getPrompt().isBlank()) {
                throw RunRejected.invalid("health.facts[" + i + "].prompt", "required");
            }
            if (p.getGroundTruthCount() == 0 || p.getGroundTruth(0).isBlank()) {
                throw RunRejected.invalid("health.facts[" + i + "].ground_truth", "required (the answer whose recall is measured)");
            }
        }
        for (int i = 0; i < h.getFluencyPromptsCount(); i++) {
            if (h.getFluencyPrompts(i).isBlank()) {
                throw RunRejected.invalid("health.fluency_prompts[" + i + "]", "is blank");
            }
        }
    }

    private static void limit(String field, int count, int max) {
        if (count > max) {
            throw RunRejected.invalid(field, count + " items; at most " + max);
        }
    }

    /** {@code [first word, rest]} of a text, or null when it has fewer than two words. */
    static String[] split(String text) {
        String t = text.strip();
        int space = t.indexOf(' ');
        if (space <= 0 || t.substring(space).isBlank()) {
            return null;
        }
        return new String[] {t.substring(0, space), t.substring(space + 1).strip()};
    }

    /** The facts of the set whose prompt names no case's subject (case-insensitive). */
    static List<Probe> untouched(HealthSet h, List<EditRequest> cases) {
        List<String> subjects = new ArrayList<>();
        for (EditRequest c : cases) {
            if (!c.getSubject().isBlank()) {
                subjects.add(c.getSubject().toLowerCase(Locale.ROOT));
            }
        }
        List<Probe> out = new ArrayList<>();
        for (Probe p : h.getFactsList()) {
            String prompt = p.getPrompt().toLowerCase(Locale.ROOT);
            if (subjects.stream().noneMatch(prompt::contains)) {
                out.add(p);
            }
        }
        return out;
    }

    /** The figures of one space: {@code facts} are the untouched facts, {@code seed} the run's. */
    public HealthFigures measure(Phase phase, String space, HealthSet h, List<Probe> facts, RunPlan plan, long seed) {
        HealthFigures.Builder b = HealthFigures.newBuilder();
        List<ScoreItem> texts = new ArrayList<>();
        for (String t : h.getTextsList()) {
            String[] parts = split(t);
            texts.add(ScoreItem.newBuilder().setPrompt(parts[0]).setTarget(parts[1]).build());
        }
        if (!texts.isEmpty()) {
            double logProb = 0;
            long tokens = 0;
            for (ScoreBatchResponse r : score(phase, space, texts)) {
                b.setModelVersion(r.getModelVersion());
                for (var s : r.getResultsList()) {
                    for (var tok : s.getTokensList()) {
                        logProb += tok.getLogProb();
                        tokens++;
                    }
                }
            }
            b.setPerplexity(Math.exp(-logProb / Math.max(1, tokens))).setTexts(texts.size());
        }
        if (!facts.isEmpty()) {
            List<ScoreItem> items = new ArrayList<>();
            for (Probe p : facts) {
                items.add(ScoreItem.newBuilder().setPrompt(p.getPrompt()).setTarget(p.getGroundTruth(0)).build());
            }
            double sum = 0;
            for (ScoreBatchResponse r : score(phase, space, items)) {
                b.setModelVersion(r.getModelVersion());
                for (var s : r.getResultsList()) {
                    sum += s.getTokenAccuracy();
                }
            }
            b.setFactRecall(100 * sum / facts.size()).setFacts(facts.size());
        }
        // Measured even with skip_fluency: that option skips the cases' generations (the slow part of a
        // run); a health set's few prompts are what its fluency figure is for.
        if (h.getFluencyPromptsCount() > 0) {
            double sum = 0;
            for (int i = 0; i < h.getFluencyPromptsCount(); i++) {
                String prompt = h.getFluencyPrompts(i);
                GenerateResponse g = phases.generate(phase, GenerateRequest.newBuilder().setSpace(space).setPrompt(prompt)
                        .setMaxNewTokens(plan.fluencyTotalTokens()).setMaxTotalTokens(plan.fluencyTotalTokens())
                        .setTopK(plan.fluencyTopK()).setTemperature(1f).setSeed(seed + i).build());
                sum += NGramEntropy.of(prompt + g.getText());
            }
            b.setFluency(100 * sum / h.getFluencyPromptsCount()).setFluencyPrompts(h.getFluencyPromptsCount());
        }
        return b.build();
    }

    private List<ScoreBatchResponse> score(Phase phase, String space, List<ScoreItem> items) {
        List<ScoreBatchResponse> out = new ArrayList<>();
        for (int from = 0; from < items.size(); from += CHUNK) {
            out.add(phases.scoreBatch(phase, ScoreBatchRequest.newBuilder().setSpace(space).setOmitPieces(true)
                    .addAllItems(items.subList(from, Math.min(items.size(), from + CHUNK))).build()));
        }
        return out;
    }
}
