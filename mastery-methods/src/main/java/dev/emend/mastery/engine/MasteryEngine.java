package dev.emend.mastery.engine;

import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.Progress;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.method.MethodPhaseEngine;
import dev.emend.core.method.MethodRegistry;
import dev.emend.core.method.PhaseMethods;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.alphaedit.NullSpaceProjector;
import dev.emend.mastery.alphaedit.ProjectorCache;
import dev.emend.mastery.stats.CovarianceCache;
import dev.emend.mastery.stats.SecondMoment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The mastery phase over copy-on-write weight overlays: the base model and what its methods share —
 * second moments C ({@link CovarianceCache} over {@link StatsCorpus}) and AlphaEdit's null-space
 * projectors, cached per layer. The methods (FT-L, FT-M, ROME, R-ROME, MEMIT, AlphaEdit and any other
 * {@link MasteryMethod} on the classpath) are plug-ins found by the {@link MethodRegistry}; the engine
 * dispatches to them. Hyperparameter defaults come from {@code hparams/<METHOD>/<model>.yaml}
 * (EasyEdit names, chosen by {@link ModelDefaults}).
 */
public final class MasteryEngine extends MethodPhaseEngine<MasteryEngine, MasteryState> {
    private final CovarianceCache cache;
    private final Supplier<List<String>> corpus;
    private final Map<String, SecondMoment> moments = new ConcurrentHashMap<>();
    private final ProjectorCache projectorCache;
    private final Map<String, NullSpaceProjector> projectors = new ConcurrentHashMap<>();

    public MasteryEngine(LanguageModel lm, String modelName, CovarianceCache cache, List<String> corpus) {
        this(lm, modelName, cache, () -> corpus);
    }

    /** {@code corpus} is asked for only when C or a null-space projector is computed (see {@link StatsCorpus#lazy}). */
    public MasteryEngine(LanguageModel lm, String modelName, CovarianceCache cache, Supplier<List<String>> corpus) {
        super(Phase.MASTERY, lm, modelName, registered(), MasteryState.class);
        this.cache = cache;
        this.corpus = corpus;
        this.projectorCache = new ProjectorCache(cache);
    }

    /**
     * The descriptors with the model's defaults as {@link ModelDefaults} chooses them (EasyEdit's
     * per-model files, scaled by depth, under an override file {@code hparams/<METHOD>/<modelName>.yaml}).
     */
    public static List<MethodDescriptor> methodsWithDefaults(LanguageModel lm, String modelName) {
        return registered().describe(lm, modelName);
    }

    /** The mastery methods on a model of {@code numLayers} layers, with their built-in defaults. */
    static List<MethodDescriptor> descriptors(int numLayers) {
        return registered().all().stream().filter(MasteryMethod.class::isInstance)
                .map(m -> ((MasteryMethod) m).describe(numLayers)).toList();
    }

    private static PhaseMethods<MasteryEngine, MasteryState> registered() {
        return MethodRegistry.load().phase(Phase.MASTERY, MasteryEngine.class, MasteryState.class);
    }

    @Override
    public SpaceState newState() {
        return new MasteryState(lm, plugins());
    }

    /** AlphaEdit's null-space projector of a layer, cached on disk beside C. */
    public NullSpaceProjector projector(int layer, int samples, double threshold, Progress progress) {
        return projectors.computeIfAbsent(layer + "/" + samples + "/" + threshold, k -> projectorCache.get(lm, layer, corpus.get(),
                samples, threshold, (stage, done, total) -> progress.report("null-space projector of layer " + layer + " (" + stage + ")",
                        total == 0 ? 0 : (double) done / total)).projector());
    }

    /** C of a layer, computed once per (layer, samples) and cached on disk across restarts. */
    public SecondMoment secondMoment(int layer, int samples, Progress progress) {
        return moments.computeIfAbsent(layer + "/" + samples, k -> cache.get(lm, layer, corpus.get(), samples,
                (done, total, tokens) -> progress.report("second moment C of layer " + layer, (double) done / total)).moment());
    }

    @Override
    protected MasteryEngine context() {
        return this;
    }
}
