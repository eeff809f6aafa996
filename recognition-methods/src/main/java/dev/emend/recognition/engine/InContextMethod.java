package dev.emend.recognition.engine;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.Progress;
import dev.emend.core.method.EditingMethod;
import dev.emend.core.prompt.ContextFormat;
import dev.emend.recognition.memory.EditKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What every recognition method shares: an edit is a stored fact (ledger payload {@link Payload}:
 * the fact and its retrieval vector), applying a unit inserts its facts into the space's memory
 * (removing the ones they supersede) and sets how the space answers queries ({@link #queryConfig});
 * rollback rebuilds the memory from the remaining units, so it is exact. A method (IKE, ICE, SERAC,
 * ...) is a subclass that says what it offers ({@link #describe}) and how its units answer.
 */
public abstract class InContextMethod implements EditingMethod<RecognitionEngine, RecognitionState> {
    @Override
    public final Phase phase() {
        return Phase.RECOGNITION;
    }

    @Override
    public final Class<RecognitionEngine> contextType() {
        return RecognitionEngine.class;
    }

    @Override
    public final Class<RecognitionState> stateType() {
        return RecognitionState.class;
    }

    @Override
    public String rollback() {
        return "exact: the space's memory is rebuilt from the remaining facts (each fact's vector is stored in the "
                + "ledger), and a fact this edit superseded is live again";
    }

    /** How a space answers queries after a unit of this method with these hparams. */
    protected abstract QueryConfig queryConfig(Hparams hparams);

    @Override
    public void validate(RecognitionEngine engine, Hparams hparams, EditMode mode, List<EditRequest> requests) {
        QueryConfig.check(hparams);
        if (requests == null || requests.isEmpty()) {
            throw EditException.invalid("requests", "no edit requests: send at least one");
        }
        if (mode == EditMode.SINGLE && requests.size() != 1) {
            throw EditException.invalid("requests", "mode SINGLE takes exactly one request, got " + requests.size()
                    + "; use BATCH or SEQUENTIAL for several");
        }
        if (requests.size() > RecognitionMethods.MAX_BATCH) {
            throw EditException.invalid("requests", requests.size() + " requests in one call; at most "
                    + RecognitionMethods.MAX_BATCH);
        }
        var lm = engine.model();
        int limit = lm.config().maxPositions();
        for (int i = 0; i < requests.size(); i++) {
            EditRequest r = requests.get(i);
            String at = "requests[" + i + "]";
            if (r.prompt().isBlank()) {
                throw EditException.invalid(at + ".prompt", "the prompt is empty: give the sentence start the new target completes, e.g. 'The capital of France is'");
            }
            if (r.targetNew().isBlank()) {
                throw EditException.invalid(at + ".target_new", "the new target is empty: give the answer the prompt should now get");
            }
            // The new-fact line, the prompt itself as the shortest query and the target must fit
            // the context: otherwise the edit could never be put in context for its own prompt.
            String context = ContextFormat.withNewFacts(List.of(ContextFormat.statement(r.prompt(), r.targetNew())), r.prompt());
            int tokens = lm.encodePrompt(context).length + lm.tokenizer().encode(" " + r.targetNew()).length;
            if (tokens > limit) {
                throw EditException.precondition(at + ".prompt", "the new fact in context plus its own prompt and target take "
                        + tokens + " tokens, more than the model's context of " + limit + ": shorten the prompt or target");
            }
            if (!r.subject().isBlank() && !r.prompt().contains(r.subject().trim())) {
                throw EditException.invalid(at + ".subject", "subject '" + r.subject() + "' does not occur in the prompt '"
                        + r.prompt() + "': the subject must be the entity the prompt mentions (used to find the edit it supersedes)");
            }
        }
    }

    @Override
    public ComputedEdit compute(RecognitionEngine engine, RecognitionState state, Hparams hparams, List<EditRequest> requests,
                                Progress progress) {
        List<Payload.Fact> facts = new ArrayList<>();
        List<List<Note>> notes = new ArrayList<>();
        List<Map<String, Double>> diagnostics = new ArrayList<>();
        Set<String> supersedes = new LinkedHashSet<>();
        // One padded forward pass per 64 prompts (a batch unit of thousands of edits stays fast).
        List<float[]> vectors = requests.size() == 1 ? List.of(engine.embedder().embed(requests.get(0).prompt()))
                : engine.embedder().embedBatch(requests.stream().map(EditRequest::prompt).toList());
        progress.report("embed", 1.0);
        Map<EditKey, Integer> inCall = new HashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            EditRequest r = requests.get(i);
            float[] vector = vectors.get(i);
            facts.add(new Payload.Fact(r.prompt(), r.subject().trim(), r.targetNew().trim(), vector));
            List<Note> n = new ArrayList<>();
            EditKey key = EditKey.of(r.prompt(), r.subject());
            var live = state.memory().liveFor(key);
            if (live.isPresent()) {
                supersedes.add(live.get().editId());
                n.add(Note.of("SUPERSEDES", "replaces live edit " + live.get().editId() + " ('" + live.get().statement()
                        + "'): same subject and relation, the newest fact wins"));
            }
            Integer earlier = inCall.put(key, i);
            if (earlier != null) {
                n.add(Note.of("SUPERSEDES", "replaces requests[" + earlier + "] of the same call: same subject and relation"));
            }
            notes.add(n);
            diagnostics.add(Map.of("prompt_tokens", (double) engine.model().encodePrompt(r.prompt()).length,
                    "stored_edits", (double) state.memory().size()));
        }
        return new ComputedEdit(name(), new Payload(facts, new ArrayList<>(supersedes)).encode(), notes,
                diagnostics, new ArrayList<>(supersedes));
    }

    @Override
    public void apply(RecognitionState state, LedgerUnit unit) {
        state.store(unit.editIds(), Payload.decode(unit.payload()), queryConfig(unit.hparams()));
    }
}
