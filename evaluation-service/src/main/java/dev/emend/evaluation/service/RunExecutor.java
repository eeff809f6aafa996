package dev.emend.evaluation.service;

import com.google.protobuf.Struct;
import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.CaseResult;
import dev.emend.api.v1.CaseScores;
import dev.emend.api.v1.CheckpointMetrics;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EditRecord;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.Metrics;
import dev.emend.api.v1.ModelVersion;
import dev.emend.api.v1.Note;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.Progress;
import dev.emend.api.v1.RollbackRequest;
import dev.emend.api.v1.TargetResult;
import dev.emend.evaluation.client.PhaseEditors;
import dev.emend.evaluation.client.TransientPhaseException;
import dev.emend.evaluation.mapping.Protos;
import dev.emend.knowedit.metrics.MethodMetrics;
import dev.emend.knowedit.metrics.Protocol;
import dev.emend.knowedit.metrics.ScoreResult;
import dev.emend.knowedit.metrics.SequentialSeries;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Carries out a planned run against the phase services, target after target on the same cases:
 * <ul>
 *   <li>SINGLE: one scratch space per target; per case: pre-edit locality baseline on "base",
 *       ApplyEdits, score, Rollback (so every case starts from the base model).</li>
 *   <li>BATCH: per batch a fresh scratch space; baseline, ApplyEdits of the batch, score each case
 *       of the batch, delete the space.</li>
 *   <li>SEQUENTIAL: one space; steps of batch_size cases; after each step the step's cases are
 *       scored (AFTER_EACH_EDIT), at each checkpoint T all cases edited so far (AFTER_ALL_EDITS).</li>
 *   <li>space targets: the cases are scored on the existing space without editing it.</li>
 * </ul>
 * Finished cases are written to the database at once; a SINGLE run resumed after a restart skips
 * them.
 */
@ApplicationScoped
public class RunExecutor {
    private static final Logger LOG = Logger.getLogger(RunExecutor.class);
    /** Codes after which the phase service itself is not usable: the run fails instead of the case. */
    private static final Set<Status.Code> FATAL = Set.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED,
            Status.Code.CANCELLED, Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED, Status.Code.UNIMPLEMENTED);

    @Inject
    HealthMeter health;

    @Inject
    PhaseEditors phases;
    @Inject
    CaseScorer scorer;
    @Inject
    RunStore store;

    /** Progress bookkeeping of one execution; {@code sink} receives every update. */
    public static final class Tracker {
        final String runId;
        final long total;
        final long startNanos = System.nanoTime();
        final long doneAtStart;
        long done;
        Progress last;
        final Consumer<Progress> sink;

        Tracker(String runId, long total, long doneAtStart, Consumer<Progress> sink) {
            this.runId = runId;
            this.total = total;
            this.doneAtStart = doneAtStart;
            this.done = doneAtStart;
            this.sink = sink;
            this.last = Progress.newBuilder().setCasesDone(done).setCasesTotal(total).setStage("loading").build();
        }

        void update(RunPlan.TargetPlan t, String stage) {
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            long doneHere = done - doneAtStart;
            double eta = doneHere > 0 ? elapsed / doneHere * (total - done) : 0;
            last = Progress.newBuilder().setCasesDone(done).setCasesTotal(total).setElapsedSeconds(elapsed).setEtaSeconds(eta)
                    .setCurrentTarget(t.index()).setCurrentPhase(t.phase()).setCurrentMethod(t.label()).setStage(stage).build();
            sink.accept(last);
        }

        void caseDone(RunPlan.TargetPlan t, int n) {
            done += n;
            update(t, "editing");
        }

        public Progress last() {
            return last;
        }
    }

    /** Runs every target; returns the per-target results (also stored). Throws {@link RunFailure}. */
    public List<TargetResult> execute(String runId, RunPlan plan, Tracker tracker) {
        List<TargetResult> results = new ArrayList<>();
        for (RunPlan.TargetPlan t : plan.targets()) {
            Map<Integer, CaseResult> done = store.cases(runId, t.index());
            TargetResult r;
            try {
                r = runTarget(runId, plan, t, done, tracker);
            } catch (StatusRuntimeException | TransientPhaseException e) {
                StatusRuntimeException s = e instanceof TransientPhaseException x ? x.status() : (StatusRuntimeException) e;
                // Keep what was finished: metrics of the finished cases of this target.
                storePartial(runId, plan, t);
                throw new RunFailure("target " + t.index() + " (" + t.label() + "): " + phases.address(t.phase()) + " failed: "
                        + s.getStatus().getCode() + (s.getStatus().getDescription() == null ? "" : " " + s.getStatus().getDescription())
                        + "; finished cases are kept, start the run again once the service answers", e);
            }
            store.saveTarget(runId, t.index(), r);
            results.add(r);
        }
        return results;
    }

    private void storePartial(String runId, RunPlan plan, RunPlan.TargetPlan t) {
        try {
            Map<Integer, CaseResult> done = store.cases(runId, t.index());
            if (!done.isEmpty()) {
                store.saveTarget(runId, t.index(), summarize(plan, t, done, Struct.getDefaultInstance(), 0, 0, null, List.of()));
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "run %s: cannot store the partial result of target %d", runId, t.index());
        }
    }

    static String spaceName(String runId, int target, int part) {
        return "eval-" + runId.substring(0, 8) + "-t" + target + (part >= 0 ? "-b" + part : "");
    }

    private TargetResult runTarget(String runId, RunPlan plan, RunPlan.TargetPlan t, Map<Integer, CaseResult> done, Tracker tracker) {
        List<EditRequest> cases = plan.cases();
        Struct hparams = Struct.getDefaultInstance();
        double editSeconds = 0;
        int edits = 0;
        ModelVersion finalVersion = null;
        List<CheckpointMetrics> checkpoints = new ArrayList<>();
        Phase phase = t.phase();
        tracker.update(t, "loading");
        Health h = new Health(plan, t);

        if (!t.appliesEdits()) {
            for (int i = 0; i < cases.size(); i++) {
                if (done.containsKey(i)) {
                    continue;
                }
                EditRequest c = cases.get(i);
                tracker.update(t, "scoring");
                CaseScores s = scorer.score(phase, t.space(), c, scorer.baseline(phase, c), plan, seed(plan, i), true);
                finalVersion = s.getModelVersion();
                save(runId, t, i, caseResult(i, c, List.of(), List.of()).setAfterOwnEdit(s), done);
                tracker.caseDone(t, 1);
            }
            h.after(t.space(), 0, tracker);
        } else if (plan.mode() == EditMode.EDIT_MODE_SINGLE) {
            String space = freshSpace(phase, spaceName(runId, t.index(), -1), runId);
            for (int i = 0; i < cases.size(); i++) {
                if (done.containsKey(i)) {
                    continue;
                }
                EditRequest c = cases.get(i);
                tracker.update(t, "editing");
                Map<String, ScoreResult> pre = scorer.baseline(phase, c);
                long t0 = System.nanoTime();
                ApplyEditsResponse applied;
                try {
                    applied = phases.applyEdits(phase, apply(space, t, List.of(c), EditMode.EDIT_MODE_SINGLE, 1, runId + "/" + t.index() + "/" + i));
                } catch (StatusRuntimeException e) {
                    if (FATAL.contains(e.getStatus().getCode())) {
                        throw e;
                    }
                    save(runId, t, i, caseResult(i, c, List.of(), List.of()).setError(describe(e)), done);
                    tracker.caseDone(t, 1);
                    continue;
                }
                editSeconds += (System.nanoTime() - t0) / 1e9;
                edits++;
                hparams = applied.getEffectiveHparams();
                tracker.update(t, "scoring");
                CaseScores s = scorer.score(phase, space, c, pre, plan, seed(plan, i), true);
                finalVersion = s.getModelVersion();
                save(runId, t, i, caseResult(i, c, applied.getEditsList(), notes(applied)).setAfterOwnEdit(s), done);
                space = undo(phase, space, applied, runId);
                tracker.caseDone(t, 1);
            }
            cleanup(plan, phase, space, t, tracker);
        } else if (plan.mode() == EditMode.EDIT_MODE_BATCH) {
            int part = 0;
            for (int from = 0; from < cases.size(); from += plan.batchSize(), part++) {
                int to = Math.min(cases.size(), from + plan.batchSize());
                if (allDone(done, from, to)) {
                    continue;
                }
                String space = freshSpace(phase, spaceName(runId, t.index(), part), runId);
                tracker.update(t, "editing");
                List<Map<String, ScoreResult>> pre = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    pre.add(scorer.baseline(phase, cases.get(i)));
                }
                long t0 = System.nanoTime();
                ApplyEditsResponse applied;
                try {
                    applied = phases.applyEdits(phase, apply(space, t, cases.subList(from, to), EditMode.EDIT_MODE_BATCH, to - from,
                            runId + "/" + t.index() + "/b" + part));
                } catch (StatusRuntimeException e) {
                    if (FATAL.contains(e.getStatus().getCode())) {
                        throw e;
                    }
                    for (int i = from; i < to; i++) {
                        save(runId, t, i, caseResult(i, cases.get(i), List.of(), List.of()).setError(describe(e)), done);
                    }
                    tracker.caseDone(t, to - from);
                    cleanup(plan, phase, space, t, tracker);
                    continue;
                }
                editSeconds += (System.nanoTime() - t0) / 1e9;
                edits += to - from;
                hparams = applied.getEffectiveHparams();
                tracker.update(t, "scoring");
                for (int i = from; i < to; i++) {
                    CaseScores s = scorer.score(phase, space, cases.get(i), pre.get(i - from), plan, seed(plan, i), true);
                    finalVersion = s.getModelVersion();
                    save(runId, t, i, caseResult(i, cases.get(i), List.of(applied.getEdits(i - from)), notes(applied)).setAfterOwnEdit(s), done);
                    tracker.caseDone(t, 1);
                }
                if (to == cases.size()) {
                    h.after(space, to - from, tracker);
                }
                cleanup(plan, phase, space, t, tracker);
            }
        } else {
            // SEQUENTIAL: one space, edits accumulate. Not resumable (the plan's restart rule fails it).
            String space = freshSpace(phase, spaceName(runId, t.index(), -1), runId);
            List<Map<String, ScoreResult>> pre = new ArrayList<>();
            List<CaseResult.Builder> results = new ArrayList<>();
            int applied = 0;
            for (int from = 0; from < cases.size(); from += plan.batchSize()) {
                int to = Math.min(cases.size(), from + plan.batchSize());
                tracker.update(t, "editing");
                for (int i = from; i < to; i++) {
                    pre.add(scorer.baseline(phase, cases.get(i)));
                }
                long t0 = System.nanoTime();
                ApplyEditsResponse r = null;
                try {
                    r = phases.applyEdits(phase, apply(space, t, cases.subList(from, to), EditMode.EDIT_MODE_SEQUENTIAL, to - from,
                            runId + "/" + t.index() + "/s" + from));
                } catch (StatusRuntimeException e) {
                    if (FATAL.contains(e.getStatus().getCode())) {
                        throw e;
                    }
                    // A failed step leaves the space as it was: the later steps go on without it.
                    for (int i = from; i < to; i++) {
                        results.add(caseResult(i, cases.get(i), List.of(), List.of()).setError(describe(e)));
                    }
                }
                applied = to;
                if (r != null) {
                    editSeconds += (System.nanoTime() - t0) / 1e9;
                    edits += to - from;
                    hparams = r.getEffectiveHparams();
                    for (int i = from; i < to; i++) {
                        CaseResult.Builder b = caseResult(i, cases.get(i), List.of(r.getEdits(i - from)), notes(r));
                        if (plan.afterEach()) {
                            tracker.update(t, "scoring");
                            b.setAfterOwnEdit(scorer.score(phase, space, cases.get(i), pre.get(i), plan, seed(plan, i), true));
                        }
                        results.add(b);
                    }
                }
                tracker.caseDone(t, to - from);
                if (plan.afterAll() && plan.checkpoints().contains(applied)) {
                    tracker.update(t, "scoring");
                    boolean last = applied == cases.size();
                    List<CaseScores> scores = new ArrayList<>();
                    List<String> ids = new ArrayList<>();
                    ModelVersion v = null;
                    for (int i = 0; i < applied; i++) {
                        if (!results.get(i).getError().isEmpty()) {
                            continue;
                        }
                        // Fluency only at the last checkpoint: generation is the slow part.
                        CaseScores s = scorer.score(phase, space, cases.get(i), pre.get(i), plan, seed(plan, i), last);
                        v = s.getModelVersion();
                        scores.add(s);
                        ids.add(cases.get(i).getCaseId());
                        if (last) {
                            results.get(i).setAfterAllEdits(s);
                        }
                    }
                    MethodMetrics row = MetricsAggregator.row(t.label(), protocol(plan, t, hparams, true), ids, scores);
                    CheckpointMetrics.Builder cp = CheckpointMetrics.newBuilder().setEditsApplied(applied)
                            .setMetrics(MetricsAggregator.metrics(row, scores));
                    if (v != null) {
                        cp.setModelVersion(v);
                    }
                    checkpoints.add(cp.build());
                    if (v != null) {
                        finalVersion = v;
                    }
                }
            }
            for (int i = 0; i < results.size(); i++) {
                save(runId, t, i, results.get(i), done);
            }
            h.after(space, edits, tracker);
            cleanup(plan, phase, space, t, tracker);
        }
        TargetResult result = summarize(plan, t, done, hparams, editSeconds, edits, finalVersion, checkpoints);
        return h.result() == null ? result : result.toBuilder().setGeneralHealth(h.result()).build();
    }

    /**
     * A target's general-health check (RunRequest.health): the unedited model measured when the
     * target starts, the space after its edits by {@link #after}; nothing without a health set.
     */
    private final class Health {
        private final RunPlan plan;
        private final RunPlan.TargetPlan t;
        private final List<dev.emend.api.v1.Probe> facts;
        private dev.emend.api.v1.HealthFigures before;
        private dev.emend.api.v1.GeneralHealth result;

        Health(RunPlan plan, RunPlan.TargetPlan t) {
            this.plan = plan;
            this.t = t;
            this.facts = plan.request().hasHealth() ? HealthMeter.untouched(plan.request().getHealth(), plan.cases()) : List.of();
        }

        void after(String space, int editsApplied, Tracker tracker) {
            if (!plan.request().hasHealth()) {
                return;
            }
            var set = plan.request().getHealth();
            tracker.update(t, "general health");
            if (before == null) {
                before = health.measure(t.phase(), "base", set, facts, plan, plan.request().getSeed());
            }
            var after = health.measure(t.phase(), space, set, facts, plan, plan.request().getSeed());
            result = dev.emend.api.v1.GeneralHealth.newBuilder().setBefore(before).setAfter(after)
                    .setEditsApplied(editsApplied).setHealthSet(set.getName()).build();
        }

        dev.emend.api.v1.GeneralHealth result() {
            return result;
        }
    }

    /** The target's result from its finished cases. */
    TargetResult summarize(RunPlan plan, RunPlan.TargetPlan t, Map<Integer, CaseResult> done, Struct hparams,
                           double editSeconds, int edits, ModelVersion finalVersion, List<CheckpointMetrics> checkpoints) {
        List<CaseScores> own = new ArrayList<>();
        List<String> ownIds = new ArrayList<>();
        List<CaseScores> all = new ArrayList<>();
        List<String> allIds = new ArrayList<>();
        int failed = 0;
        for (CaseResult c : done.values()) {
            if (!c.getError().isEmpty()) {
                failed++;
                continue;
            }
            if (c.hasAfterOwnEdit()) {
                own.add(c.getAfterOwnEdit());
                ownIds.add(c.getCaseId());
            }
            if (c.hasAfterAllEdits()) {
                all.add(c.getAfterAllEdits());
                allIds.add(c.getCaseId());
            }
        }
        Metrics ownMetrics = MetricsAggregator.metrics(MetricsAggregator.row(t.label(), protocol(plan, t, hparams, false), ownIds, own), own);
        Metrics allMetrics = MetricsAggregator.metrics(MetricsAggregator.row(t.label(), protocol(plan, t, hparams, true), allIds, all), all);
        boolean headlineAll = plan.protocol().getHeadline().equals("after_all_edits");
        TargetResult.Builder b = TargetResult.newBuilder().setTarget(t.target()).setLabel(t.label()).setEffectiveHparams(hparams)
                .setMetrics(headlineAll ? allMetrics : ownMetrics).setCasesFailed(failed)
                .setEditSeconds(editSeconds).setSecondsPerEdit(edits == 0 ? 0 : editSeconds / edits).addAllCheckpoints(checkpoints);
        if (headlineAll && plan.afterEach()) {
            b.setMetricsAfterEachEdit(ownMetrics);
        } else if (!headlineAll) {
            b.setMetricsAfterEachEdit(ownMetrics);
        }
        if (finalVersion != null) {
            b.setFinalModelVersion(finalVersion);
        }
        return b.build();
    }

    /** The library's protocol record of a target's numbers (teacher-forced headline numbers). */
    static Protocol protocol(RunPlan plan, RunPlan.TargetPlan t, Struct hparams, boolean afterAll) {
        Protocol.Mode mode = switch (plan.mode()) {
            case EDIT_MODE_BATCH -> Protocol.Mode.BATCH;
            case EDIT_MODE_SEQUENTIAL -> Protocol.Mode.SEQUENTIAL;
            default -> Protocol.Mode.SINGLE;
        };
        return new Protocol(Protocol.Scoring.TEACHER_FORCED, mode, afterAll ? Protocol.ScoredAfter.ALL_EDITS : Protocol.ScoredAfter.EACH_EDIT,
                t.service().getModel().getFingerprint(), Protos.map(hparams));
    }

    /** The sequential series of a target (for the chart). */
    static SequentialSeries series(RunPlan plan, RunPlan.TargetPlan t, TargetResult r) {
        List<SequentialSeries.Point> points = new ArrayList<>();
        Protocol p = protocol(plan, t, r.getEffectiveHparams(), true);
        for (CheckpointMetrics c : r.getCheckpointsList()) {
            Metrics m = c.getMetrics();
            if (m.getCases() == 0) {
                continue;
            }
            points.add(new SequentialSeries.Point(c.getEditsApplied(), new MethodMetrics(t.label(),
                    m.hasEditSucc() ? m.getEditSucc() : null, m.hasGeneralization() ? m.getGeneralization() : null,
                    m.hasPortability() ? m.getPortability() : null, m.hasLocality() ? m.getLocality() : null,
                    m.hasFluency() ? m.getFluency() : null, m.hasEditSuccExactMatch() ? m.getEditSuccExactMatch() : null,
                    m.getCases(), p)));
        }
        return new SequentialSeries(t.label(), points);
    }

    private static long seed(RunPlan plan, int caseIndex) {
        return plan.request().getSeed() * 1_000_003L + caseIndex;
    }

    private ApplyEditsRequest apply(String space, RunPlan.TargetPlan t, List<EditRequest> cases, EditMode mode, int batchSize, String key) {
        return ApplyEditsRequest.newBuilder().setSpace(space).setMethod(t.method()).setHparams(t.target().getHparams())
                .addAllRequests(cases).setMode(mode).setBatchSize(mode == EditMode.EDIT_MODE_BATCH ? batchSize : 0)
                .setIdempotencyKey(key).build();
    }

    private static CaseResult.Builder caseResult(int index, EditRequest c, List<EditRecord> edits, List<Note> notes) {
        CaseResult.Builder b = CaseResult.newBuilder().setIndex(index).setCaseId(c.getCaseId()).setPrompt(c.getPrompt())
                .setSubject(c.getSubject()).setTargetNew(c.getTargetNew()).addAllNotes(notes);
        edits.forEach(e -> b.addEditIds(e.getId()));
        return b;
    }

    private static List<Note> notes(ApplyEditsResponse r) {
        List<Note> out = new ArrayList<>();
        r.getEditsList().forEach(e -> out.addAll(e.getNotesList()));
        return out;
    }

    private void save(String runId, RunPlan.TargetPlan t, int index, CaseResult.Builder b, Map<Integer, CaseResult> done) {
        CaseResult r = b.build();
        store.saveCase(runId, t.index(), index, r);
        done.put(index, r);
    }

    private static boolean allDone(Map<Integer, CaseResult> done, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!done.containsKey(i)) {
                return false;
            }
        }
        return true;
    }

    private static String describe(StatusRuntimeException e) {
        return e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription());
    }

    /** Creates the scratch space; one left over from an interrupted execution is deleted first. */
    private String freshSpace(Phase phase, String name, String runId) {
        try {
            phases.createSpace(phase, name, "evaluation run " + runId + " (scratch space, deleted at the end)");
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                throw e;
            }
            phases.deleteSpace(phase, name);
            phases.createSpace(phase, name, "evaluation run " + runId + " (scratch space, deleted at the end)");
        }
        return name;
    }

    /** Rolls back a case's edits; if that fails, replaces the space by a fresh one. Returns the space. */
    private String undo(Phase phase, String space, ApplyEditsResponse applied, String runId) {
        try {
            for (int i = applied.getEditsCount() - 1; i >= 0; i--) {
                phases.rollback(phase, RollbackRequest.newBuilder().setSpace(space).setEditId(applied.getEdits(i).getId()).build());
            }
            return space;
        } catch (StatusRuntimeException e) {
            if (FATAL.contains(e.getStatus().getCode())) {
                throw e;
            }
            LOG.warnf("run %s: rollback in %s failed (%s); using a fresh space", runId, space, describe(e));
            phases.deleteSpace(phase, space);
            return freshSpace(phase, space, runId);
        }
    }

    private void cleanup(RunPlan plan, Phase phase, String space, RunPlan.TargetPlan t, Tracker tracker) {
        if (plan.request().getProtocol().getKeepSpaces()) {
            return;
        }
        tracker.update(t, "cleanup");
        try {
            phases.deleteSpace(phase, space);
        } catch (StatusRuntimeException e) {
            LOG.warnf("cannot delete scratch space %s on %s: %s", space, phases.address(phase), describe(e));
        }
    }
}
