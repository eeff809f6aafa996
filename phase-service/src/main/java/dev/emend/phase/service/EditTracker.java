package dev.emend.phase.service;

import dev.emend.api.v1.EditProgress;
import dev.emend.api.v1.EditProgressState;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.Progress;

/**
 * The live progress of one ApplyEdits call that has an idempotency key, kept in memory while it is
 * queued or computing (GetEditProgress reads it, CancelEdit flags it). The computation sees the
 * flag through {@link #progress}: the method's next progress report throws CANCELLED, so the unit
 * being computed is dropped before anything of it is applied or written.
 */
final class EditTracker {
    private final int unitsTotal;
    private final long receivedNanos = System.nanoTime();
    private volatile long startedNanos;
    private volatile String stage = "queued";
    private volatile double unitFraction;
    private volatile int unitsDone;
    private volatile boolean cancelRequested;

    EditTracker(int unitsTotal) {
        this.unitsTotal = unitsTotal;
    }

    void cancel() {
        cancelRequested = true;
    }

    /** Throws CANCELLED if a cancel was asked (checked when the call starts, between units, on progress). */
    void checkCancelled() {
        if (cancelRequested) {
            throw new EditException(EditException.Reason.CANCELLED, "", "cancelled by CancelEdit"
                    + (unitsDone == 0 ? "; nothing was applied" : ""));
        }
    }

    void started() {
        startedNanos = System.nanoTime();
        stage = "starting";
    }

    void unitDone() {
        unitsDone++;
        unitFraction = 0;
    }

    /** Wraps a method's progress: records it and stops the computation once cancelled. */
    Progress progress(Progress inner) {
        return (s, fraction) -> {
            stage = s;
            unitFraction = Math.max(0, Math.min(1, fraction));
            inner.report(s, fraction);
            checkCancelled();
        };
    }

    EditProgress snapshot() {
        long now = System.nanoTime();
        boolean running = startedNanos != 0;
        double fraction = unitsTotal == 0 ? 0 : Math.min(1, (unitsDone + unitFraction) / unitsTotal);
        double runSeconds = running ? (now - startedNanos) / 1e9 : 0;
        double eta = running && fraction > 0.01 ? runSeconds * (1 - fraction) / fraction : 0;
        return EditProgress.newBuilder()
                .setState(running ? EditProgressState.EDIT_PROGRESS_STATE_RUNNING : EditProgressState.EDIT_PROGRESS_STATE_QUEUED)
                .setStage(stage).setFraction(fraction).setUnitsDone(unitsDone).setUnitsTotal(unitsTotal)
                .setElapsedSeconds((now - receivedNanos) / 1e9).setEtaSeconds(eta).setCancelRequested(cancelRequested)
                .build();
    }

    static EditProgress unknown() {
        return EditProgress.newBuilder().setState(EditProgressState.EDIT_PROGRESS_STATE_UNKNOWN).build();
    }
}
