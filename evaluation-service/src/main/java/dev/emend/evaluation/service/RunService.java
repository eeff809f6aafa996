package dev.emend.evaluation.service;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.Progress;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.RunStatus;
import dev.emend.api.v1.TargetResult;
import dev.emend.evaluation.entity.RunEntity;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Accepts runs, executes them one at a time in the background (the phase services serialize edits
 * anyway), keeps their state in PostgreSQL and tells listeners about progress. On start it picks up
 * the runs a previous process left unfinished: QUEUED runs are queued again; RUNNING single-edit
 * runs are resumed from their last finished case (RESUMED); batch and sequential runs, whose
 * scratch spaces held the interrupted steps' edits, are marked FAILED with the reason.
 */
@ApplicationScoped
public class RunService {
    private static final Logger LOG = Logger.getLogger(RunService.class);

    @Inject
    RunPlanner planner;
    @Inject
    RunExecutor executor;
    @Inject
    RunStore store;
    @Inject
    ReportWriter reports;

    private final Map<String, List<RunListener>> listeners = new ConcurrentHashMap<>();
    private final Map<String, Progress> latest = new ConcurrentHashMap<>();
    private ExecutorService worker;
    private volatile boolean shuttingDown;

    void onStart(@Observes StartupEvent ev) {
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "evaluation-runs");
            t.setDaemon(true);
            return t;
        });
        for (RunEntity e : store.unfinished()) {
            recover(e);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        shuttingDown = true;
        if (worker != null) {
            // Interrupts the current run; it stays RUNNING in the database and the next start resumes it.
            worker.shutdownNow();
            try {
                worker.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Validates and queues a run; {@code listener} (may be null) is registered before it can start. */
    public Run start(RunRequest request, RunListener listener) {
        RunPlan plan = planner.plan(request);
        String id = UUID.randomUUID().toString();
        store.create(id, request, RunStatus.RUN_STATUS_QUEUED, plan.casesTotal());
        store.update(id, e -> {
            e.protocol = plan.protocol().toByteArray();
            e.modelFingerprint = plan.protocol().getModelFingerprint();
        });
        if (listener != null) {
            listeners.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(listener);
        }
        Run queued = store.run(id, false);
        worker.submit(() -> execute(id, plan, false));
        return queued;
    }

    public void removeListener(String runId, RunListener listener) {
        List<RunListener> l = listeners.get(runId);
        if (l != null) {
            l.remove(listener);
        }
    }

    /** Latest in-memory progress of a running run (fresher than the stored one), or null. */
    public Progress progress(String runId) {
        return latest.get(runId);
    }

    private void recover(RunEntity e) {
        RunRequest request;
        try {
            request = RunRequest.parseFrom(e.request);
        } catch (InvalidProtocolBufferException x) {
            fail(e.id, "interrupted by a restart of evaluation-service, and its stored request cannot be read (" + x.getMessage() + ")");
            return;
        }
        boolean started = !e.status.equals(RunStatus.RUN_STATUS_QUEUED.name());
        EditMode mode = request.getMode().getMode();
        if (started && mode != EditMode.EDIT_MODE_SINGLE && mode != EditMode.EDIT_MODE_UNSPECIFIED) {
            fail(e.id, "interrupted by a restart of evaluation-service after " + e.casesDone + " of " + e.casesTotal
                    + " cases: a " + mode.name() + " run cannot resume, because its scratch space held the edits of the interrupted steps; start it again");
            return;
        }
        // Planning asks the phase services (Describe): done on the worker, not in the startup thread.
        worker.submit(() -> resume(e, request, started));
    }

    private void resume(RunEntity e, RunRequest request, boolean started) {
        RunPlan plan;
        try {
            plan = planner.plan(request);
        } catch (RunRejected x) {
            fail(e.id, "interrupted by a restart of evaluation-service after " + e.casesDone + " of " + e.casesTotal
                    + " cases, and it cannot resume: " + x.code() + " " + x.getMessage());
            return;
        } catch (RuntimeException x) {
            fail(e.id, "interrupted by a restart of evaluation-service after " + e.casesDone + " of " + e.casesTotal
                    + " cases, and it cannot resume: " + x);
            return;
        }
        if (started && e.protocol != null) {
            try {
                String before = dev.emend.api.v1.ProtocolRecord.parseFrom(e.protocol).getDatasetSha256();
                if (!before.isEmpty() && !before.equals(plan.protocol().getDatasetSha256())) {
                    fail(e.id, "interrupted by a restart of evaluation-service, and its data set changed since it started (SHA-256 "
                            + before + " then, " + plan.protocol().getDatasetSha256() + " now); start it again");
                    return;
                }
            } catch (InvalidProtocolBufferException ignored) {
                // no recorded protocol to compare with
            }
        }
        if (started) {
            String reason = "resumed after a restart of evaluation-service at " + Instant.now() + ", from case " + e.casesDone
                    + " of " + e.casesTotal + " (finished cases are kept)";
            store.update(e.id, x -> {
                x.status = RunStatus.RUN_STATUS_RESUMED.name();
                x.resumeCount++;
                x.statusReason = reason;
            });
            LOG.infof("run %s: %s", e.id, reason);
        }
        execute(e.id, plan, started);
    }

    private void fail(String id, String reason) {
        LOG.warnf("run %s failed: %s", id, reason);
        store.update(id, x -> {
            x.status = RunStatus.RUN_STATUS_FAILED.name();
            x.statusReason = reason;
            x.finishedAt = Instant.now();
        });
    }

    private void execute(String id, RunPlan plan, boolean resumed) {
        long doneAtStart = 0;
        for (RunPlan.TargetPlan t : plan.targets()) {
            doneAtStart += store.cases(id, t.index()).size();
        }
        store.update(id, e -> {
            if (!resumed) {
                e.status = RunStatus.RUN_STATUS_RUNNING.name();
            }
            if (e.startedAt == null) {
                e.startedAt = Instant.now();
            }
            e.protocol = plan.protocol().toByteArray();
            e.modelFingerprint = plan.protocol().getModelFingerprint();
            e.casesTotal = plan.casesTotal();
        });
        RunExecutor.Tracker tracker = new RunExecutor.Tracker(id, plan.casesTotal(), doneAtStart, p -> onProgress(id, p));
        try {
            List<TargetResult> results = executor.execute(id, plan, tracker);
            String where;
            try {
                Path dir = reports.write(id, plan, results);
                where = "reports in " + dir + " (report.md, report.json, chart.png"
                        + (plan.mode() == EditMode.EDIT_MODE_SEQUENTIAL ? ", sequential.png" : "") + ")";
                store.update(id, e -> e.reportDir = dir.toString());
            } catch (Exception x) {
                LOG.warnf(x, "run %s: cannot write reports", id);
                where = "reports could not be written: " + x.getMessage();
            }
            String reason = where;
            store.update(id, e -> {
                String prior = e.statusReason.isEmpty() ? "" : e.statusReason + "; ";
                e.status = RunStatus.RUN_STATUS_SUCCEEDED.name();
                e.statusReason = prior + reason;
                e.finishedAt = Instant.now();
                e.casesDone = tracker.last().getCasesDone();
                e.progress = tracker.last().toBuilder().setEtaSeconds(0).setStage("done").build().toByteArray();
            });
        } catch (RuntimeException x) {
            if (shuttingDown || Thread.currentThread().isInterrupted() || x.getCause() instanceof InterruptedException) {
                // Shutdown: leave the run RUNNING; the next start resumes or fails it with the reason.
                LOG.infof("run %s interrupted by shutdown after %d cases", id, tracker.last().getCasesDone());
                return;
            }
            if (x instanceof RunFailure) {
                fail(id, x.getMessage());
            } else {
                LOG.errorf(x, "run %s failed", id);
                fail(id, "internal error in evaluation-service: " + x + "; the log has the details");
            }
        } finally {
            latest.remove(id);
        }
        Run done = store.run(id, false);
        List<RunListener> l = listeners.remove(id);
        if (l != null) {
            l.forEach(x -> x.finished(done));
        }
    }

    private void onProgress(String id, Progress p) {
        latest.put(id, p);
        try {
            store.update(id, e -> {
                e.casesDone = p.getCasesDone();
                e.progress = p.toByteArray();
            });
        } catch (RuntimeException x) {
            LOG.warnf("run %s: cannot store progress: %s", id, x.getMessage());
        }
        List<RunListener> l = listeners.get(id);
        if (l != null) {
            l.forEach(x -> x.progress(id, p));
        }
    }
}
