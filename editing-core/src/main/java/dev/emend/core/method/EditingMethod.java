package dev.emend.core.method;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.Progress;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.LanguageModel;

import java.util.List;

/**
 * One editing method, plugged into its phase: everything Emend knows about a method lives in the
 * class that implements this (and its package), found by {@link java.util.ServiceLoader} through a
 * line in {@code META-INF/services/dev.emend.core.method.EditingMethod}. {@link MethodRegistry} is
 * the one place that maps names to methods; a phase engine only holds the shared resources
 * ({@code C}) and the space states ({@code S}) and dispatches through it.
 *
 * <p>Life of an edit: the service resolves the hparams against {@link #describe}'s specs
 * (defaults per model: {@code hparams/<name>/<model>.yaml} beside the class, chosen by
 * {@link dev.emend.core.edit.ModelDefaults}), calls {@link #validate}, then {@link #compute} (which
 * reads the state and never changes it), commits the payload to the ledger and calls
 * {@link #apply} on the space's state. Replay is {@link #apply} of the stored payloads in ledger
 * order; rollback rebuilds the state from the remaining units, so a method never "unapplies"
 * ({@link #rollback} says what that means for it).
 *
 * @param <C> the phase's shared context the method computes with (e.g. the mastery engine's
 *            second-moment caches, the recognition engine's embedder)
 * @param <S> the phase's space state the payload is applied to (weight overlays, adapters and
 *            codebooks, a memory of facts)
 */
public interface EditingMethod<C, S extends SpaceState> {
    /** The method's name, unique over all phases (case-insensitive), e.g. {@code ROME}. */
    String name();

    Phase phase();

    /**
     * Whether this is the method its phase uses when a caller names none ({@code ./emend demo},
     * {@code ./emend edit} without {@code --method}): a phase lists it first. At most one per phase.
     */
    default boolean phaseDefault() {
        return false;
    }

    /** The class of the phase's context; the engine checks at startup that it provides one. */
    Class<C> contextType();

    /** The class of the phase's space state. */
    Class<S> stateType();

    /**
     * The method as offered on {@code lm}: description, modes, max batch size, exact-rollback flag
     * and typed hparam specs with the method's built-in defaults (the per-model YAML files are
     * applied on top by {@link MethodRegistry#describe}).
     */
    MethodDescriptor describe(LanguageModel lm);

    /** What rolling back one of its edits does, for people (README, {@code model-info}). */
    String rollback();

    /**
     * Checks the requests and the resolved hparams before any work: throws
     * {@link dev.emend.core.edit.EditException} naming the field ({@code requests[2].subject},
     * {@code hparams.layers}) and what to do.
     */
    void validate(C context, Hparams hparams, EditMode mode, List<EditRequest> requests);

    /** Computes one ledger unit (payload, notes, diagnostics) for the requests; never changes {@code state}. */
    ComputedEdit compute(C context, S state, Hparams hparams, List<EditRequest> requests, Progress progress);

    /** Applies one committed unit of this method to the state; deterministic (replicas replay the same ledger). */
    void apply(S state, LedgerUnit unit);
}
