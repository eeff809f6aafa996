package dev.emend.association.engine;

import ai.djl.ndarray.NDManager;
import dev.emend.association.grace.GraceCodebook;
import dev.emend.association.grace.GraceHook;
import dev.emend.association.wise.WiseHook;
import dev.emend.association.wise.WiseMemory;
import dev.emend.core.edit.Answer;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.method.PhaseMethods;
import dev.emend.core.model.ContextLengthException;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.runtime.Generation;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreItem;
import dev.emend.core.runtime.ScoreResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One association space: the frozen base model plus, as forward hooks, its LoRA and AdaLoRA adapters (one per
 * ledger unit, in ledger order), its WISE side memories and its GRACE codebooks (one of each per
 * wrapped site: a layer's MLP down- or up-projection). {@link #apply} turns a committed payload into state deterministically; reads
 * run the base model with the current hooks. Native memory lives under one sub-manager of the
 * model's, freed on {@link #close}.
 *
 * <p>WISE routes whole sequences, so with a side memory present items are scored one per forward
 * (no padding in the routing mean) and generation runs without a KV cache.
 */
public final class AssociationState implements SpaceState {
    private final LanguageModel lm;
    private final PhaseMethods<AssociationEngine, AssociationState> methods;
    private final NDManager manager;
    private final Map<ModuleRef, GraceCodebook> codebooks = new LinkedHashMap<>();
    private final Map<ModuleRef, WiseMemory> wise = new LinkedHashMap<>();
    private final List<Adapter> adapters = new ArrayList<>();
    private volatile Hooks hooks = Hooks.NONE;

    public AssociationState(LanguageModel lm, PhaseMethods<AssociationEngine, AssociationState> methods) {
        this.lm = lm;
        this.methods = methods;
        this.manager = lm.manager().newSubManager();
    }

    /** Applies a committed unit with the method that computed it, then rebuilds the hooks. */
    @Override
    public synchronized void apply(LedgerUnit unit) {
        methods.apply(this, unit);
        hooks = buildHooks(null);
    }

    /** The base model. */
    public LanguageModel model() {
        return lm;
    }

    /** The manager every tensor of this state lives under (freed on {@link #close}). */
    public NDManager manager() {
        return manager;
    }

    /** The GRACE codebook at {@code site}, made by {@code create} if the space has none yet (apply only). */
    public synchronized GraceCodebook codebook(ModuleRef site, Function<ModuleRef, GraceCodebook> create) {
        return codebooks.computeIfAbsent(site, create);
    }

    /** The WISE side memory at {@code site}, made by {@code create} if the space has none yet (apply only). */
    public synchronized WiseMemory wiseMemory(ModuleRef site, Function<ModuleRef, WiseMemory> create) {
        return wise.computeIfAbsent(site, create);
    }

    /** One more adapter (LoRA, AdaLoRA), after the others (apply only). */
    public synchronized void addAdapter(Adapter adapter) {
        adapters.add(adapter);
    }

    private Hooks buildHooks(ModuleRef skipWise) {
        List<LayerHook> list = new ArrayList<>(adapters);
        wise.forEach((site, mem) -> {
            if (!site.equals(skipWise)) {
                list.add(new WiseHook(mem));
            }
        });
        codebooks.values().forEach(cb -> list.add(new GraceHook(cb)));
        return Hooks.of(list.toArray(new LayerHook[0]));
    }

    /** The base weights with this space's hooks. */
    public ModelView view() {
        return new ModelView(lm.weights(), hooks);
    }

    /** The view without the WISE memory at {@code site} (its own training replaces it). */
    public synchronized ModelView viewWithoutWise(ModuleRef site) {
        return new ModelView(lm.weights(), buildHooks(site));
    }

    public synchronized GraceCodebook codebook(ModuleRef site) {
        return codebooks.get(site);
    }

    public synchronized WiseMemory wiseMemory(ModuleRef site) {
        return wise.get(site);
    }

    public synchronized int adapterCount() {
        return adapters.size();
    }

    /** Number of GRACE entries over all codebooks. */
    public synchronized int graceEntries() {
        return codebooks.values().stream().mapToInt(GraceCodebook::size).sum();
    }

    private boolean routesWholeSequences() {
        return !wise.isEmpty();
    }

    @Override
    public Answer<ScoreResult> score(String prompt, String target) {
        return scoreBatch(List.of(new ScoreItem(prompt, target))).get(0);
    }

    @Override
    public List<Answer<ScoreResult>> scoreBatch(List<ScoreItem> items) {
        ModelView v = view();
        List<ScoreResult> results;
        try {
            if (routesWholeSequences()) {
                results = new ArrayList<>();
                for (ScoreItem it : items) {
                    results.add(lm.score(v, it.prompt(), it.target()));
                }
            } else {
                results = lm.scoreBatch(v, items);
            }
        } catch (ContextLengthException e) {
            throw EditException.invalid("prompt", e.getMessage() + "; shorten the prompt or target");
        } catch (IllegalArgumentException e) {
            throw EditException.invalid("prompt", e.getMessage());
        }
        List<Answer<ScoreResult>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            ScoreResult r = results.get(i);
            out.add(new Answer<>(r, items.get(i).prompt(), r.promptIds().length, List.of(), List.of()));
        }
        return out;
    }

    @Override
    public Answer<Generation> generate(String prompt, GenerationOptions options) {
        GenerationOptions o = routesWholeSequences() ? options.withCache(false) : options;
        try {
            Generation g = lm.generate(view(), prompt, o);
            return new Answer<>(g, prompt, lm.encodePrompt(prompt).length, List.of(), List.of());
        } catch (ContextLengthException e) {
            throw EditException.invalid("prompt", e.getMessage() + "; shorten the prompt");
        } catch (IllegalArgumentException e) {
            throw EditException.invalid("prompt", e.getMessage());
        }
    }

    @Override
    public synchronized long footprintBytes() {
        long n = 0;
        for (GraceCodebook cb : codebooks.values()) {
            n += cb.footprintBytes();
        }
        for (WiseMemory m : wise.values()) {
            n += m.footprintBytes();
        }
        for (Adapter a : adapters) {
            n += a.footprintBytes();
        }
        return n;
    }

    @Override
    public synchronized void close() {
        codebooks.values().forEach(GraceCodebook::close);
        wise.values().forEach(WiseMemory::close);
        adapters.forEach(Adapter::close);
        codebooks.clear();
        wise.clear();
        adapters.clear();
        hooks = Hooks.NONE;
        manager.close();
    }
}
