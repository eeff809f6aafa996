package dev.emend.recognition.engine;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.BasePhaseEngine;
import dev.emend.core.edit.Progress;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.prompt.ContextFormat;
import dev.emend.recognition.ike.DemonstrationRetriever;
import dev.emend.recognition.memory.Demonstration;
import dev.emend.recognition.memory.DemonstrationPool;
import dev.emend.recognition.memory.EditKey;
import dev.emend.recognition.memory.EditMemory;
import dev.emend.recognition.memory.StoredFact;
import dev.emend.recognition.retrieval.Embedder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The recognition phase (IKE, ICE, SERAC-style gating) behind the shared service's SPI. Nothing in
 * the model changes: an edit is a stored fact (ledger payload {@link Payload}), and a space's
 * {@link RecognitionState} retrieves the relevant facts for each query and puts them in context.
 *
 * <p>The engine holds what all spaces share: the frozen base model, the embedding centre and the
 * demonstration pool's index (built once at start from the benchmark's {@code *-train.json}).
 */
public final class RecognitionEngine extends BasePhaseEngine {
    /** Tokens kept free for generation when building a context for {@code generate}. */
    static final int GENERATION_RESERVE = 24;

    private final boolean ownsModel;
    private final Embedder embedder;
    private final DemonstrationRetriever demos;
    private final List<String> background;
    /** The BM25 background documents, indexed once; every new space's index starts as a copy. */
    private final dev.emend.recognition.retrieval.HybridIndex backgroundIndex;

    /**
     * @param lm        the base model (not closed by the engine unless {@code ownsModel})
     * @param modelName e.g. {@code emend-facts}: picks {@code hparams/<METHOD>/<modelName>.yaml}
     * @param pool      IKE's demonstrations; its prompts also fix the embedding centre and the BM25
     *                  background statistics
     */
    public RecognitionEngine(LanguageModel lm, String modelName, DemonstrationPool pool, boolean ownsModel) {
        this(lm, modelName, pool, ownsModel, Embedder.Pooling.LAST);
    }

    /**
     * @param pooling how the retrieval vectors are pooled from the model's final hidden states.
     *                {@code LAST} (the default) is the last token's state; measured with
     *                {@code RecognitionProbe calibrate} on emend-facts, the SERAC gate reaches F1
     *                0.98 on the held-out cases with it and 0.71 with {@code MEAN} (= LanguageModel.embed):
     *                the last state encodes what the model is about to answer, i.e. subject and
     *                relation, while the mean is dominated by the subject's tokens, so "Pavel Quinn's
     *                job is" looks like "Pavel Quinn was born in". Deviation from the brief's
     *                {@code embed} on purpose. Must not change for a ledger: stored vectors keep it.
     */
    public RecognitionEngine(LanguageModel lm, String modelName, DemonstrationPool pool, boolean ownsModel,
                             Embedder.Pooling pooling) {
        super(Phase.RECOGNITION, lm, modelName, methodsWithDefaults(lm, modelName));
        this.ownsModel = ownsModel;
        Set<String> prompts = new LinkedHashSet<>();
        Set<String> sentences = new LinkedHashSet<>();
        for (Demonstration d : pool.demonstrations()) {
            prompts.add(d.factPrompt());
            prompts.add(d.queryPrompt());
            sentences.add(d.statement());
            sentences.add(ContextFormat.statement(d.queryPrompt(), d.answer()));
        }
        this.embedder = Embedder.centredOn(lm, new ArrayList<>(prompts), pooling);
        this.background = List.copyOf(sentences);
        this.demos = new DemonstrationRetriever(pool, embedder);
        this.backgroundIndex = new dev.emend.recognition.retrieval.HybridIndex(embedder.dimension());
        this.backgroundIndex.addBackground(background);
    }

    private static List<MethodDescriptor> methodsWithDefaults(LanguageModel lm, String modelName) {
        ClassLoader loader = RecognitionEngine.class.getClassLoader();
        ModelDefaults.Shape shape = ModelDefaults.Shape.of(lm);
        List<MethodDescriptor> ms = new ArrayList<>();
        for (MethodDescriptor m : RecognitionMethods.all()) {
            ms.add(ModelDefaults.withDefaults(m, loader, modelName, shape));
        }
        return ms;
    }

    /**
     * Loads the checkpoint in {@code modelDir} and the demonstration pool from
     * {@code demoDir/*-train.json} (for the default model: {@code benchmarks/emend-facts}).
     */
    public static RecognitionEngine open(Path modelDir, Path demoDir) {
        return open(modelDir, demoDir, Embedder.Pooling.LAST);
    }

    public static RecognitionEngine open(Path modelDir, Path demoDir, Embedder.Pooling pooling) {
        LanguageModel lm = Checkpoints.load(modelDir);
        try {
            return new RecognitionEngine(lm, modelDir.getFileName().toString(), DemonstrationPool.fromTrainFiles(demoDir),
                    true, pooling);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    public MethodDescriptor method(String name) {
        return MethodDescriptor.find(methods(), name).orElseThrow(() -> EditException.invalid("method",
                "unknown recognition method '" + name + "'; known: " + methods().stream().map(MethodDescriptor::name).toList()));
    }

    Embedder embedder() {
        return embedder;
    }

    DemonstrationRetriever demonstrations() {
        return demos;
    }

    List<String> background() {
        return background;
    }

    synchronized EditMemory newMemory() {
        return new EditMemory(backgroundIndex);
    }

    @Override
    public RecognitionState newState() {
        return new RecognitionState(this);
    }

    @Override
    public void validate(MethodDescriptor method, Hparams hparams, EditMode mode, List<EditRequest> requests) {
        if (MethodDescriptor.find(methods(), method.name()).isEmpty()) {
            throw EditException.invalid("method", "'" + method.name() + "' is not a recognition method; known: "
                    + methods().stream().map(MethodDescriptor::name).toList());
        }
        QueryConfig.check(method.name(), hparams);
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
    public ComputedEdit compute(SpaceState state, MethodDescriptor method, Hparams hparams, List<EditRequest> requests,
                                Progress progress) {
        if (!(state instanceof RecognitionState rs)) {
            throw new IllegalArgumentException("not a recognition state: " + state.getClass().getName());
        }
        List<Payload.Fact> facts = new ArrayList<>();
        List<List<Note>> notes = new ArrayList<>();
        List<Map<String, Double>> diagnostics = new ArrayList<>();
        Set<String> supersedes = new LinkedHashSet<>();
        // One padded forward pass per 64 prompts (a batch unit of thousands of edits stays fast).
        List<float[]> vectors = requests.size() == 1 ? List.of(embedder.embed(requests.get(0).prompt()))
                : embedder.embedBatch(requests.stream().map(EditRequest::prompt).toList());
        progress.report("embed", 1.0);
        Map<EditKey, Integer> inCall = new java.util.HashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            EditRequest r = requests.get(i);
            float[] vector = vectors.get(i);
            facts.add(new Payload.Fact(r.prompt(), r.subject().trim(), r.targetNew().trim(), vector));
            List<Note> n = new ArrayList<>();
            EditKey key = EditKey.of(r.prompt(), r.subject());
            var live = rs.memory().liveFor(key);
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
            diagnostics.add(Map.of("prompt_tokens", (double) lm.encodePrompt(r.prompt()).length,
                    "stored_edits", (double) rs.memory().size()));
        }
        return new ComputedEdit(method.name(), new Payload(facts, new ArrayList<>(supersedes)).encode(), notes,
                diagnostics, new ArrayList<>(supersedes));
    }

    /** Builds the stored fact of payload entry for its ledger id (used by the state on apply). */
    static StoredFact fact(String editId, Payload.Fact f, long sequence) {
        return new StoredFact(editId, f.prompt(), f.subject(), f.target(), EditKey.of(f.prompt(), f.subject()), sequence,
                f.vector());
    }

    @Override
    public void close() {
        demos.close();
        backgroundIndex.close();
        if (ownsModel) {
            lm.close();
        }
    }
}
