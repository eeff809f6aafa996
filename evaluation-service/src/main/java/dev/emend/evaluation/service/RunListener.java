package dev.emend.evaluation.service;

import dev.emend.api.v1.Progress;
import dev.emend.api.v1.Run;

/** Receives a run's progress and, last, the finished run (Evaluate's stream). */
public interface RunListener {
    void progress(String runId, Progress progress);

    void finished(Run run);
}
