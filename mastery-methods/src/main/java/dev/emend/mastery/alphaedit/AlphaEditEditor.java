package dev.emend.mastery.alphaedit;


import dev.emend.core.edit.Progress;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.memit.MemitUpdate;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.linalg.Cholesky;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * AlphaEdit (Fang et al., 2024): MEMIT with every layer's update projected onto the null space of
 * the preserved knowledge and solved against the keys of earlier edits.
 *
 * <p>z-step, layer order and residual spreading are MEMIT's ({@link MemitEditor#compute} with a
 * different {@link MemitEditor.LayerSolver}). Per layer, with K the batch's keys (d_ff × n), R
 * its residual share, P = Û Ûᵀ the projector of {@link NullSpaceProjector} and K_p K_pᵀ the
 * {@link AlphaEditMemory}, the reference solves
 * ΔWᵀ = (P(K Kᵀ + K_p K_pᵀ) + αI)⁻¹ P K Rᵀ (α = {@code L2}; no λC term: C enters only through P).
 * Any solution lies in range(P) (αX = P(…)), so writing X = Û Y turns it into the symmetric
 * positive-definite r × r system (Ûᵀ(K Kᵀ + K_p K_pᵀ)Û + αI) Y = ÛᵀK Rᵀ, solved in float64 by
 * Cholesky; this is the same solution, cheaper and better conditioned than the reference's dense
 * d_ff × d_ff general solve. Stored as MEMIT's factors A = R, B = (Û Y₀)ᵀ with Y₀ = (…)⁻¹ÛᵀK.
 *
 * <p>After a batch the reference adds K Kᵀ, with K recomputed on the edited model, to its
 * {@code cache_c}; here {@link #compute} returns those keys in the update and {@link #edit} adds
 * them to the memory the caller passed.
 */
public final class AlphaEditEditor {
    private final LanguageModel lm;
    private final AlphaEditHyperParams hp;
    private final IntFunction<NullSpaceProjector> projectors;
    private final MemitEditor memit;

    /** @param projectors the null-space projector per layer (e.g. from a {@link ProjectorCache}) */
    public AlphaEditEditor(LanguageModel lm, AlphaEditHyperParams hp, IntFunction<NullSpaceProjector> projectors) {
        this.lm = lm;
        this.hp = hp.validate(lm.config());
        if (projectors == null) {
            throw new IllegalArgumentException("AlphaEdit needs a null-space projector per edited layer");
        }
        this.projectors = projectors;
        this.memit = new MemitEditor(lm, hp.memit(), null);
    }

    public AlphaEditHyperParams hyperParams() {
        return hp;
    }

    public List<String> contextTemplates() {
        return memit.contextTemplates();
    }

    /**
     * Computes the batch update against {@code view} and the keys it will add to the memory;
     * neither the caller's weights nor {@code memory} change.
     */
    public AlphaEditUpdate compute(ModelView view, AlphaEditMemory memory, List<RomeRequest> requests) {
        if (requests == null || requests.isEmpty()) {
            throw new IllegalArgumentException("AlphaEdit needs at least one edit request");
        }
        return compute(view, memory, requests, memit.targets(view, requests));
    }

    /** As {@link #compute(ModelView, AlphaEditMemory, List)}, reporting the z-step's progress. */
    public AlphaEditUpdate compute(ModelView view, AlphaEditMemory memory, List<RomeRequest> requests, Progress progress) {
        if (requests == null || requests.isEmpty()) {
            throw new IllegalArgumentException("AlphaEdit needs at least one edit request");
        }
        return compute(view, memory, requests, memit.targets(view, requests, progress));
    }

    /** The z-step on {@code view} (MEMIT's, shareable with a MEMIT editor of the same z settings). */
    public MemitEditor.Targets targets(ModelView view, List<RomeRequest> requests) {
        return memit.targets(view, requests);
    }

    /** As {@link #targets(ModelView, List)}, reporting the z-step's progress. */
    public MemitEditor.Targets targets(ModelView view, List<RomeRequest> requests, Progress progress) {
        return memit.targets(view, requests, progress);
    }

    /** As {@link #compute(ModelView, AlphaEditMemory, List)} with the z-step already run on {@code view}. */
    public AlphaEditUpdate compute(ModelView view, AlphaEditMemory memory, List<RomeRequest> requests,
                                   MemitEditor.Targets targets) {
        MemitUpdate w = memit.compute(view, requests, targets, "AlphaEdit",
                (layer, dff, keys) -> rightFactor(layer, dff, keys, memory));
        List<AlphaEditUpdate.LayerKeys> memoryKeys = new ArrayList<>();
        try (OverlayWeights after = new OverlayWeights(view.weights(), lm.manager())) {
            MemitEditor.apply(after, w);
            ModelView edited = new ModelView(after, view.hooks());
            for (MemitUpdate.LayerDelta d : w.layers()) {
                double[][] k = memit.keys(edited, requests, d.layer());
                float[] flat = new float[k.length * d.dff()];
                for (int i = 0; i < k.length; i++) {
                    for (int p = 0; p < d.dff(); p++) {
                        flat[i * d.dff() + p] = (float) k[i][p];
                    }
                }
                memoryKeys.add(new AlphaEditUpdate.LayerKeys(d.layer(), k.length, d.dff(), flat));
            }
        }
        return new AlphaEditUpdate(w, List.copyOf(memoryKeys));
    }

    /** Computes the update on the overlay's current weights, applies it and adds its keys to {@code memory}. */
    public AlphaEditUpdate edit(OverlayWeights overlay, Hooks hooks, AlphaEditMemory memory, List<RomeRequest> requests) {
        AlphaEditUpdate u = compute(new ModelView(overlay, hooks), memory, requests);
        apply(overlay, memory, u);
        return u;
    }

    /** Commits a computed (or replayed) update: weights into the overlay, keys into the memory. */
    public static void apply(OverlayWeights overlay, AlphaEditMemory memory, AlphaEditUpdate u) {
        MemitEditor.apply(overlay, u.weights());
        memory.add(u);
    }

    /**
     * Rolls an update back: W −= ΔW and its keys leave the memory. Exact for this edit's own
     * change; edits committed after it were solved with its keys present and are not recomputed.
     */
    public static void revert(OverlayWeights overlay, AlphaEditMemory memory, AlphaEditUpdate u) {
        MemitEditor.revert(overlay, u.weights());
        memory.remove(u);
    }

    /** B = (Û Y)ᵀ with (Ûᵀ(K Kᵀ + K_p K_pᵀ)Û + αI) Y = ÛᵀK. */
    private float[] rightFactor(int layer, int dff, double[][] keys, AlphaEditMemory memory) {
        NullSpaceProjector p = projectors.apply(layer);
        if (p.dff() != dff) {
            throw new IllegalStateException("null-space projector for layer " + layer + " is " + p.dff()
                    + "-dimensional, the MLP has d_ff " + dff);
        }
        int r = p.rank();
        if (r == 0) {
            throw new IllegalStateException("AlphaEdit: nullspace_threshold " + hp.nullspaceThreshold() + " leaves no null-space"
                    + " direction at layer " + layer + " (smallest eigenvalue of C " + p.eigenvalues()[0]
                    + "); raise nullspace_threshold");
        }
        int n = keys.length;
        double[][] uk = new double[n][];
        for (int i = 0; i < n; i++) {
            uk[i] = p.coordinates(keys[i]);
        }
        double[] g = memory.restricted(layer, p);
        for (int i = 0; i < n; i++) {
            double[] y = uk[i];
            for (int a = 0; a < r; a++) {
                double ya = y[a];
                int row = a * r;
                for (int b = 0; b < r; b++) {
                    g[row + b] += ya * y[b];
                }
            }
        }
        for (int a = 0; a < r; a++) {
            g[a * r + a] += hp.l2();
        }
        // SPD by construction (α > 0)
        Cholesky solver = Cholesky.factor(g, r, "AlphaEdit's projected system at layer " + layer);
        float[] b = new float[n * dff];
        for (int i = 0; i < n; i++) {
            double[] x = p.lift(solver.solve(uk[i]));
            for (int q = 0; q < dff; q++) {
                b[i * dff + q] = (float) x[q];
            }
        }
        return b;
    }
}
