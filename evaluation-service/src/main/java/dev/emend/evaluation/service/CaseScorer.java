package dev.emend.evaluation.service;

import dev.emend.api.v1.CaseScores;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.api.v1.GenerateResponse;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.Probe;
import dev.emend.api.v1.ProbeList;
import dev.emend.api.v1.ScoreBatchRequest;
import dev.emend.api.v1.ScoreBatchResponse;
import dev.emend.api.v1.ScoreItem;
import dev.emend.evaluation.client.PhaseEditors;
import dev.emend.evaluation.mapping.Protos;
import dev.emend.knowedit.metrics.GenerationMetrics;
import dev.emend.knowedit.metrics.KnowEditMetrics;
import dev.emend.knowedit.metrics.LocalityPair;
import dev.emend.knowedit.metrics.NGramEntropy;
import dev.emend.knowedit.KnowEditFormat;
import dev.emend.knowedit.metrics.ScoreResult;
import dev.emend.knowedit.metrics.TaskMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores one case on one space through the phase service's ScoreBatch and Generate, and turns the
 * answers into per-case numbers with the library's metric functions ({@link KnowEditMetrics},
 * {@link GenerationMetrics}, {@link NGramEntropy}).
 */
@ApplicationScoped
public class CaseScorer {
    @Inject
    PhaseEditors phases;

    /** Locality probes of a case scored on the unedited model ("base"), keyed "key/index". */
    public Map<String, ScoreResult> baseline(Phase phase, EditRequest c) {
        List<ScoreItem> items = new ArrayList<>();
        addProbes(items, "loc", c.getLocalityMap());
        Map<String, ScoreResult> out = new HashMap<>();
        if (items.isEmpty()) {
            return out;
        }
        ScoreBatchResponse r = phases.scoreBatch(phase, ScoreBatchRequest.newBuilder().setSpace("base").addAllItems(items).setOmitPieces(true).build());
        for (var s : r.getResultsList()) {
            out.put(s.getKey(), Protos.score(s, r));
        }
        return out; // keyed like score()'s items: "loc/<key>/<index>"
    }

    /**
     * All per-case scores of {@code c} on {@code space}. {@code pre} is {@link #baseline}'s result.
     * Fluency uses top-k sampling with {@code seed}; exact match uses greedy generation.
     */
    public CaseScores score(Phase phase, String space, EditRequest c, Map<String, ScoreResult> pre, RunPlan plan,
                            long seed, boolean withFluency) {
        List<ScoreItem> items = new ArrayList<>();
        items.add(item("rewrite", c.getPrompt(), c.getTargetNew()));
        for (int i = 0; i < c.getRephrasePromptCount(); i++) {
            items.add(item("rephrase/" + i, c.getRephrasePrompt(i), c.getTargetNew()));
        }
        addProbes(items, "port", c.getPortabilityMap());
        addProbes(items, "loc", c.getLocalityMap());
        boolean erasure = plan.task() == KnowEditFormat.SANITATION && c.getGroundTruthCount() > 0;
        if (erasure) {
            items.add(item("truth", c.getPrompt(), c.getGroundTruth(0)));
        }
        ScoreBatchResponse r = phases.scoreBatch(phase, ScoreBatchRequest.newBuilder().setSpace(space).addAllItems(items).setOmitPieces(true).build());
        Map<String, ScoreResult> post = new LinkedHashMap<>();
        for (var s : r.getResultsList()) {
            post.put(s.getKey(), Protos.score(s, r));
        }
        CaseScores.Builder b = CaseScores.newBuilder().setModelVersion(r.getModelVersion());
        ScoreResult rewrite = post.get("rewrite");
        b.setRewriteAcc(KnowEditMetrics.rewriteAcc(rewrite));
        List<ScoreResult> rephrases = new ArrayList<>();
        for (int i = 0; i < c.getRephrasePromptCount(); i++) {
            rephrases.add(post.get("rephrase/" + i));
        }
        KnowEditMetrics.rephraseAcc(rephrases).ifPresent(b::setRephraseAcc);

        Map<String, List<ScoreResult>> port = new LinkedHashMap<>();
        Map<String, List<LocalityPair>> loc = new LinkedHashMap<>();
        post.forEach((key, s) -> {
            // key = kind "/" knowEditKey "/" index; the KnowEdit key may itself contain "/".
            int first = key.indexOf('/');
            int last = key.lastIndexOf('/');
            if (first < 0 || last == first) {
                return;
            }
            String kind = key.substring(0, first);
            String probeKey = key.substring(first + 1, last);
            if (kind.equals("port")) {
                port.computeIfAbsent(probeKey, k -> new ArrayList<>()).add(s);
            } else if (kind.equals("loc")) {
                ScoreResult before = pre.get(key);
                if (before == null) {
                    throw new IllegalStateException("no pre-edit score of locality probe " + key + " of case " + c.getCaseId());
                }
                loc.computeIfAbsent(probeKey, k -> new ArrayList<>()).add(new LocalityPair(before, s));
            }
        });
        KnowEditMetrics.portability(port).ifPresent(b::setPortability);
        port.forEach((k, l) -> l.stream().mapToDouble(KnowEditMetrics::tokenAccuracy).average().ifPresent(v -> b.putPortabilityByKey(k, v)));
        KnowEditMetrics.locality(loc).ifPresent(b::setLocality);
        loc.forEach((k, l) -> l.stream().mapToDouble(KnowEditMetrics::locality).average().ifPresent(v -> b.putLocalityByKey(k, v)));

        if (plan.generated()) {
            GenerateResponse g = greedy(phase, space, c.getPrompt(), rewrite.tokens().size(), seed);
            b.setGenerated(g.getText());
            b.setRewriteExactMatch(GenerationMetrics.exactMatch(rewrite.targetIds(), g.getTokenIdsList()) == 1.0);
            if (!rephrases.isEmpty()) {
                double sum = 0;
                for (ScoreResult s : rephrases) {
                    sum += GenerationMetrics.exactMatch(s.targetIds(), greedy(phase, space, s.prompt(), s.tokens().size(), seed).getTokenIdsList());
                }
                b.setRephraseExactMatch(sum / rephrases.size());
            }
        }
        if (erasure) {
            erasure(phase, space, c, rewrite, post.get("truth"), seed, b);
        } else if (plan.task() == KnowEditFormat.CONVSENT) {
            sentiment(phase, space, c, rewrite, seed, b);
        } else if (plan.task() == KnowEditFormat.WIKIBIO) {
            ScoreBatchResponse before = phases.scoreBatch(phase, ScoreBatchRequest.newBuilder().setSpace("base")
                    .addItems(item("rewrite", c.getPrompt(), c.getTargetNew())).setOmitPieces(true).build());
            b.putExtra(TaskMetrics.PPL_BEFORE, TaskMetrics.perplexity(Protos.score(before.getResults(0), before)));
            b.putExtra(TaskMetrics.PPL_AFTER, TaskMetrics.perplexity(rewrite));
        }
        if (withFluency && plan.fluency()) {
            GenerateResponse g = phases.generate(phase, GenerateRequest.newBuilder().setSpace(space).setPrompt(c.getPrompt())
                    .setMaxNewTokens(plan.fluencyTotalTokens()).setMaxTotalTokens(plan.fluencyTotalTokens())
                    .setTopK(plan.fluencyTopK()).setTemperature(1f).setSeed(seed).build());
            // EasyEdit measures the decoded text including the prompt.
            b.setFluency(NGramEntropy.of(c.getPrompt() + g.getText()));
        }
        return b.build();
    }

    /** Sampled generations per case of the erasure and sentiment metrics, and their top-k (temperature 1). */
    static final int TASK_SAMPLES = 5;
    static final int TASK_TOP_K = 5;

    /**
     * Erasure: a greedy and {@link #TASK_SAMPLES} sampled generations of max(refusal, true value)
     * + 2 tokens; the refusal generated, the true value absent.
     */
    private void erasure(Phase phase, String space, EditRequest c, ScoreResult refusal, ScoreResult truth, long seed,
                         CaseScores.Builder b) {
        int tokens = Math.max(refusal.tokens().size(), truth.tokens().size()) + 2;
        String greedy = greedy(phase, space, c.getPrompt(), tokens, seed).getText();
        b.putExtra(TaskMetrics.REFUSAL_GENERATED, GenerationMetrics.containsMatchIgnoreCase(c.getTargetNew(), greedy));
        b.putExtra(TaskMetrics.TRUTH_ABSENT_GREEDY, TaskMetrics.truthAbsent(greedy, c.getGroundTruthList()));
        b.putExtra(TaskMetrics.TRUTH_ABSENT_SAMPLED, TaskMetrics.truthAbsent(samples(phase, space, c.getPrompt(), tokens, seed),
                c.getGroundTruthList()));
    }

    /**
     * Sentiment: the greedy and {@link #TASK_SAMPLES} sampled answers (target length + 2 tokens) to
     * the case's question, judged by the polarity lexicon of the case's own pos/neg responses.
     */
    private void sentiment(Phase phase, String space, EditRequest c, ScoreResult target, long seed, CaseScores.Builder b) {
        var fields = c.getExtra().getFieldsMap();
        if (!fields.containsKey("pos") || !fields.containsKey("neg") || !fields.containsKey("target_sentiment")) {
            throw new IllegalArgumentException("ConvSent case " + c.getCaseId() + " lacks extra.pos, extra.neg or extra.target_sentiment");
        }
        TaskMetrics.Lexicon lexicon = TaskMetrics.Lexicon.of(strings(fields.get("pos")), strings(fields.get("neg")));
        int polarity = fields.get("target_sentiment").getStringValue().equals("pos") ? 1 : -1;
        int tokens = target.tokens().size() + 2;
        String greedy = greedy(phase, space, c.getPrompt(), tokens, seed).getText();
        b.putExtra(TaskMetrics.SENTIMENT_GREEDY, TaskMetrics.sentimentSuccess(List.of(greedy), lexicon, polarity));
        b.putExtra(TaskMetrics.SENTIMENT_SAMPLED, TaskMetrics.sentimentSuccess(samples(phase, space, c.getPrompt(), tokens, seed),
                lexicon, polarity));
    }

    private List<String> samples(Phase phase, String space, String prompt, int tokens, long seed) {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < TASK_SAMPLES; k++) {
            out.add(phases.generate(phase, GenerateRequest.newBuilder().setSpace(space).setPrompt(prompt).setMaxNewTokens(tokens)
                    .setTopK(TASK_TOP_K).setTemperature(1f).setSeed(seed * 31 + k).build()).getText());
        }
        return out;
    }

    private static List<String> strings(com.google.protobuf.Value v) {
        return v.getListValue().getValuesList().stream().map(com.google.protobuf.Value::getStringValue).toList();
    }

    private GenerateResponse greedy(Phase phase, String space, String prompt, int tokens, long seed) {
        return phases.generate(phase, GenerateRequest.newBuilder().setSpace(space).setPrompt(prompt).setMaxNewTokens(tokens)
                .setTemperature(0f).setSeed(seed).build());
    }

    private static ScoreItem item(String key, String prompt, String target) {
        return ScoreItem.newBuilder().setKey(key).setPrompt(prompt).setTarget(target).build();
    }

    private static void addProbes(List<ScoreItem> items, String kind, Map<String, ProbeList> probes) {
        probes.forEach((key, list) -> {
            for (int i = 0; i < list.getItemsCount(); i++) {
                Probe p = list.getItems(i);
                if (p.getGroundTruthCount() > 0 && !p.getGroundTruth(0).isBlank()) {
                    // EasyEdit scores a probe against its first ground truth (alias).
                    items.add(item(kind + "/" + key + "/" + i, p.getPrompt(), p.getGroundTruth(0)));
                }
            }
        });
    }
}
