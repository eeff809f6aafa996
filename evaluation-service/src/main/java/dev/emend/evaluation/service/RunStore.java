package dev.emend.evaluation.service;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.emend.api.v1.CaseResult;
import dev.emend.api.v1.ListRunsResponse;
import dev.emend.api.v1.Progress;
import dev.emend.api.v1.ProtocolRecord;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.RunStatus;
import dev.emend.api.v1.TargetResult;
import dev.emend.evaluation.entity.CaseResultEntity;
import dev.emend.evaluation.entity.RunEntity;
import dev.emend.evaluation.entity.TargetResultEntity;
import dev.emend.evaluation.mapping.Protos;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/** Runs and their results in PostgreSQL (schema evaluation). Every method is its own transaction. */
@ApplicationScoped
public class RunStore {

    @Transactional
    public RunEntity create(String id, RunRequest request, RunStatus status, long casesTotal) {
        RunEntity e = new RunEntity();
        e.id = id;
        e.name = request.getName();
        e.status = status.name();
        e.request = request.toByteArray();
        e.casesTotal = casesTotal;
        e.createdAt = Instant.now();
        e.persist();
        return e;
    }

    @Transactional
    public void update(String id, Consumer<RunEntity> change) {
        RunEntity e = RunEntity.findById(id);
        if (e == null) {
            throw new IllegalStateException("run " + id + " vanished from the database");
        }
        change.accept(e);
    }

    @Transactional
    public RunEntity find(String id) {
        return RunEntity.findById(id);
    }

    /** Runs left unfinished by a previous process (QUEUED, RUNNING, RESUMED), oldest first. */
    @Transactional
    public List<RunEntity> unfinished() {
        return RunEntity.list("status in ?1", Sort.by("createdAt"),
                List.of(RunStatus.RUN_STATUS_QUEUED.name(), RunStatus.RUN_STATUS_RUNNING.name(), RunStatus.RUN_STATUS_RESUMED.name()));
    }

    @Transactional
    public void saveCase(String runId, int target, int index, CaseResult result) {
        CaseResultEntity e = CaseResultEntity.find("runId = ?1 and targetIndex = ?2 and caseIndex = ?3", runId, target, index).firstResult();
        if (e == null) {
            e = new CaseResultEntity();
            e.runId = runId;
            e.targetIndex = target;
            e.caseIndex = index;
            e.result = result.toByteArray();
            e.persist();
        } else {
            e.result = result.toByteArray();
        }
    }

    /** Finished cases of one target, by case index. */
    @Transactional
    public Map<Integer, CaseResult> cases(String runId, int target) {
        Map<Integer, CaseResult> out = new TreeMap<>();
        for (CaseResultEntity e : CaseResultEntity.<CaseResultEntity>list("runId = ?1 and targetIndex = ?2", runId, target)) {
            out.put(e.caseIndex, parse(() -> CaseResult.parseFrom(e.result)));
        }
        return out;
    }

    @Transactional
    public void saveTarget(String runId, int target, TargetResult result) {
        TargetResultEntity e = TargetResultEntity.find("runId = ?1 and targetIndex = ?2", runId, target).firstResult();
        TargetResult stripped = result.toBuilder().clearCases().build();
        if (e == null) {
            e = new TargetResultEntity();
            e.runId = runId;
            e.targetIndex = target;
            e.result = stripped.toByteArray();
            e.persist();
        } else {
            e.result = stripped.toByteArray();
        }
    }

    /** The run as the API shows it. */
    @Transactional
    public Run run(String id, boolean includeCases) {
        RunEntity e = RunEntity.findById(id);
        return e == null ? null : toRun(e, includeCases);
    }

    @Transactional
    public ListRunsResponse list(RunStatus status, int pageSize, int offset) {
        var q = status == RunStatus.RUN_STATUS_UNSPECIFIED
                ? RunEntity.<RunEntity>findAll(Sort.by("createdAt", Sort.Direction.Descending).and("id"))
                : RunEntity.<RunEntity>find("status", Sort.by("createdAt", Sort.Direction.Descending).and("id"), status.name());
        List<RunEntity> page = q.range(offset, offset + pageSize).list(); // one extra row tells whether a next page exists
        ListRunsResponse.Builder b = ListRunsResponse.newBuilder();
        for (int i = 0; i < Math.min(pageSize, page.size()); i++) {
            b.addRuns(toRun(page.get(i), false));
        }
        if (page.size() > pageSize) {
            b.setNextPageToken(Integer.toString(offset + pageSize));
        }
        return b.build();
    }

    private Run toRun(RunEntity e, boolean includeCases) {
        Run.Builder b = Run.newBuilder().setId(e.id).setName(e.name).setStatus(RunStatus.valueOf(e.status))
                .setStatusReason(e.statusReason).setRequest(parse(() -> RunRequest.parseFrom(e.request)))
                .setModelFingerprint(e.modelFingerprint).setResumeCount(e.resumeCount).setCreatedAt(Protos.timestamp(e.createdAt));
        if (e.progress != null) {
            b.setProgress(parse(() -> Progress.parseFrom(e.progress)));
        } else {
            b.setProgress(Progress.newBuilder().setCasesDone(e.casesDone).setCasesTotal(e.casesTotal));
        }
        if (e.protocol != null) {
            b.setProtocol(parse(() -> ProtocolRecord.parseFrom(e.protocol)));
        }
        if (e.startedAt != null) {
            b.setStartedAt(Protos.timestamp(e.startedAt));
        }
        if (e.finishedAt != null) {
            b.setFinishedAt(Protos.timestamp(e.finishedAt));
        }
        List<TargetResultEntity> targets = TargetResultEntity.list("runId", Sort.by("targetIndex"), e.id);
        for (TargetResultEntity t : targets) {
            TargetResult.Builder tr = parse(() -> TargetResult.parseFrom(t.result)).toBuilder();
            if (includeCases) {
                tr.addAllCases(new ArrayList<>(cases(e.id, t.targetIndex).values()));
            }
            b.addResults(tr);
        }
        return b.build();
    }

    private interface Parser<T> {
        T parse() throws InvalidProtocolBufferException;
    }

    private static <T> T parse(Parser<T> p) {
        try {
            return p.parse();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored run data is not a valid message: " + e.getMessage(), e);
        }
    }
}
