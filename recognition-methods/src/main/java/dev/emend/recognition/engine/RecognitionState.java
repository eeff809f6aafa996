package dev.emend.recognition.engine;

import dev.emend.core.edit.Answer;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.Generation;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ScoreItem;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.recognition.ike.IkePrompt;
import dev.emend.recognition.memory.Demonstration;
import dev.emend.recognition.memory.EditMemory;
import dev.emend.recognition.memory.StoredFact;
import dev.emend.recognition.retrieval.Hit;
import dev.emend.recognition.serac.ScopeGate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One space of the recognition phase: the base model plus an {@link EditMemory} of live edits.
 * {@link #apply} inserts a unit's facts into the memory (and removes the facts they supersede);
 * every read builds the method's prompt for the query ({@link #plan}) and runs the base model on it.
 *
 * <p>Query pipeline, with the method and hparams of the latest applied unit ({@link QueryConfig}):
 * retrieve (BM25 + k-NN, fused) → SERAC: keep the edits whose score reaches the threshold, none →
 * the base model's own prompt; IKE / ICE: the best {@code max_facts} edits whatever their score →
 * order them most similar last (a tie: newer last) → IKE adds {@code k} retrieved demonstrations
 * before them → drop demonstrations (least similar first), then extra facts, until prompt plus
 * answer fit the context, with a TRUNCATED note. The query itself is never cut.
 */
public final class RecognitionState implements SpaceState {
    private final RecognitionEngine engine;
    private final LanguageModel lm;
    private final EditMemory memory;
    private QueryConfig config;
    private long sequence;

    RecognitionState(RecognitionEngine engine) {
        this.engine = engine;
        this.lm = engine.model();
        this.memory = engine.newMemory();
    }

    public EditMemory memory() {
        return memory;
    }

    /** Applies a committed unit with the method that computed it (see {@link InContextMethod#apply}). */
    @Override
    public void apply(LedgerUnit unit) {
        engine.plugins().apply(this, unit);
    }

    /**
     * Inserts a unit's facts under its ledger ids (removing the facts they supersede) and answers
     * queries with {@code config} from now on.
     */
    public void store(List<String> editIds, Payload payload, QueryConfig config) {
        if (payload.facts().size() != editIds.size()) {
            throw new IllegalArgumentException("unit has " + editIds.size() + " edit ids but its payload "
                    + payload.facts().size() + " facts");
        }
        for (String id : payload.supersedes()) {
            memory.remove(id);
        }
        for (int i = 0; i < payload.facts().size(); i++) {
            memory.put(RecognitionEngine.fact(editIds.get(i), payload.facts().get(i), ++sequence));
        }
        this.config = config;
    }

    /** The prompt the current method builds for {@code query}, leaving {@code reserve} tokens free. */
    public PromptPlan plan(String query, int reserve) {
        if (query == null || query.isBlank()) {
            throw EditException.invalid("prompt", "the prompt is empty");
        }
        int limit = lm.config().maxPositions();
        int queryTokens = lm.encodePrompt(query).length;
        if (queryTokens + reserve > limit) {
            throw EditException.precondition("prompt", "the prompt takes " + queryTokens + " tokens and the answer " + reserve
                    + ", more than the model's context of " + limit + ": shorten the prompt");
        }
        if (config == null || memory.size() == 0) {
            return new PromptPlan(query, queryTokens, List.of(), List.of());
        }
        List<Hit> hits = memory.search(query, engine.embedder().embed(query), config.fusion());
        if (config.gated()) {
            hits = new ScopeGate(config.threshold()).inScope(hits);
        }
        if (hits.isEmpty()) {
            return new PromptPlan(query, queryTokens, List.of(), List.of());
        }
        List<Hit> chosen = new ArrayList<>(hits.subList(0, Math.min(config.maxFacts(), hits.size())));
        List<StoredFact> facts = new ArrayList<>();
        chosen.sort(Comparator.comparingDouble(Hit::fused));
        for (Hit h : chosen) {
            facts.add(memory.get(h.id()).orElseThrow());
        }
        // Equal scores (the same prompt edited twice under different relations cannot tie exactly,
        // but duplicate statements can): the newer fact goes last, nearest the query.
        facts.sort(Comparator.comparingDouble((StoredFact f) -> score(chosen, f.editId())).thenComparingLong(StoredFact::sequence));
        List<Demonstration> demos = config.demonstrations()
                ? new ArrayList<>(engine.demonstrations().select(facts.get(facts.size() - 1).statement(), query,
                        config.k(), config.ratio(), config.fusion()))
                : new ArrayList<>();
        String separator = IkePrompt.separator(config.separator(), lm);
        int requestedDemos = demos.size();
        int requestedFacts = facts.size();
        String text = build(demos, facts, query, separator);
        int tokens = lm.encodePrompt(text).length;
        while (tokens + reserve > limit && (!demos.isEmpty() || !facts.isEmpty())) {
            if (!demos.isEmpty()) {
                demos.remove(0);
            } else {
                facts.remove(0);
            }
            text = build(demos, facts, query, separator);
            tokens = lm.encodePrompt(text).length;
        }
        List<Note> notes = new ArrayList<>();
        if (demos.size() < requestedDemos || facts.size() < requestedFacts) {
            notes.add(new Note("TRUNCATED", "context cut to fit the model's " + limit + " tokens (prompt " + queryTokens
                    + ", answer " + reserve + "): kept " + demos.size() + " of " + requestedDemos + " demonstrations and "
                    + facts.size() + " of " + requestedFacts + " edits; the query is never cut", "prompt"));
        }
        return new PromptPlan(text, tokens, facts.stream().map(StoredFact::editId).toList(), notes);
    }

    /** The stored edits retrieved for a query with the given fusion, best first (no gating). */
    public List<Hit> retrieve(String query, dev.emend.recognition.retrieval.Fusion fusion) {
        return memory.search(query, engine.embedder().embed(query), fusion);
    }

    private static double score(List<Hit> hits, String id) {
        return hits.stream().filter(h -> h.id().equals(id)).mapToDouble(Hit::fused).findFirst().orElse(0);
    }

    private static String build(List<Demonstration> demos, List<StoredFact> facts, String query, String separator) {
        if (facts.isEmpty()) {
            return query;
        }
        return IkePrompt.build(demos, facts.stream().map(StoredFact::statement).toList(), query, separator);
    }

    private int targetTokens(String target) {
        if (target == null || target.isBlank()) {
            throw EditException.invalid("target", "the target is empty");
        }
        return lm.tokenizer().encode(" " + target).length;
    }

    @Override
    public Answer<ScoreResult> score(String prompt, String target) {
        return scoreBatch(List.of(new ScoreItem(prompt, target))).get(0);
    }

    @Override
    public List<Answer<ScoreResult>> scoreBatch(List<ScoreItem> items) {
        List<PromptPlan> plans = new ArrayList<>(items.size());
        List<ScoreItem> built = new ArrayList<>(items.size());
        for (ScoreItem it : items) {
            PromptPlan p = plan(it.prompt(), targetTokens(it.target()));
            plans.add(p);
            built.add(new ScoreItem(p.prompt(), it.target()));
        }
        List<ScoreResult> results = lm.scoreBatch(lm.baseView(), built);
        List<Answer<ScoreResult>> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            PromptPlan p = plans.get(i);
            out.add(new Answer<>(results.get(i), p.prompt(), results.get(i).promptIds().length, p.matchedEditIds(), p.notes()));
        }
        return out;
    }

    @Override
    public Answer<Generation> generate(String prompt, GenerationOptions options) {
        PromptPlan p = plan(prompt, Math.min(options.maxNewTokens(), RecognitionEngine.GENERATION_RESERVE));
        Generation g = lm.generate(lm.baseView(), p.prompt(), options);
        return new Answer<>(g, p.prompt(), p.tokens(), p.matchedEditIds(), p.notes());
    }

    @Override
    public long footprintBytes() {
        long perFact = 4L * engine.embedder().dimension() + 256;
        return memory.size() * perFact;
    }

    @Override
    public void close() {
        memory.close();
    }
}
