package dev.emend.mastery.engine;

import dev.emend.core.edit.Answer;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.method.PhaseMethods;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.Generation;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreItem;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.mastery.alphaedit.AlphaEditMemory;

import java.util.List;

/**
 * A mastery space: a copy-on-write overlay over the base weights holding only the matrices its
 * edits changed, W = W₀ + Σ ΔW in ledger order.
 */
public final class MasteryState implements SpaceState {
    private final LanguageModel lm;
    private final PhaseMethods<MasteryEngine, MasteryState> methods;
    private final OverlayWeights overlay;
    /** AlphaEdit's K_p: keys of the space's committed AlphaEdit edits, per layer. */
    private final AlphaEditMemory alphaEditMemory = new AlphaEditMemory();

    MasteryState(LanguageModel lm, PhaseMethods<MasteryEngine, MasteryState> methods) {
        this.lm = lm;
        this.methods = methods;
        this.overlay = new OverlayWeights(lm.weights(), lm.manager());
    }

    /** The view edits are computed on. */
    public ModelView view() {
        return new ModelView(overlay, Hooks.NONE);
    }

    public OverlayWeights overlay() {
        return overlay;
    }

    public AlphaEditMemory alphaEditMemory() {
        return alphaEditMemory;
    }

    /** Applies a committed unit with the method that computed it. */
    @Override
    public void apply(LedgerUnit unit) {
        methods.apply(this, unit);
        // Safe: the service applies only while no read is in flight on this state.
        overlay.releaseRetired();
    }

    @Override
    public Answer<ScoreResult> score(String prompt, String target) {
        ScoreResult r = lm.score(view(), prompt, target);
        return new Answer<>(r, prompt, r.promptIds().length, List.of(), List.of());
    }

    @Override
    public List<Answer<ScoreResult>> scoreBatch(List<ScoreItem> items) {
        List<ScoreResult> rs = lm.scoreBatch(view(), items);
        return java.util.stream.IntStream.range(0, items.size())
                .mapToObj(i -> new Answer<>(rs.get(i), items.get(i).prompt(), rs.get(i).promptIds().length, List.<String>of(), List.<dev.emend.core.edit.Note>of()))
                .toList();
    }

    @Override
    public Answer<Generation> generate(String prompt, GenerationOptions options) {
        Generation g = lm.generate(view(), prompt, options);
        return new Answer<>(g, prompt, lm.encodePrompt(prompt).length, List.of(), List.of());
    }

    @Override
    public long footprintBytes() {
        long bytes = 0;
        for (String name : overlay.replacedNames()) {
            bytes += overlay.get(name).size() * 4L;
        }
        return bytes;
    }

    @Override
    public void close() {
        overlay.close();
    }
}
