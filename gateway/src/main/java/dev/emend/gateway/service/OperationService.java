package dev.emend.gateway.service;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.EditProgress;
import dev.emend.api.v1.EditProgressRequest;
import dev.emend.api.v1.EditProgressState;
import dev.emend.api.v1.TrainMethodRequest;
import dev.emend.api.v1.TrainMethodResponse;
import dev.emend.gateway.client.EditorClient;
import dev.emend.gateway.client.PhaseName;
import dev.emend.gateway.client.PhaseRequestException;
import dev.emend.gateway.client.PhaseUnavailableException;
import dev.emend.gateway.client.Phases;
import dev.emend.gateway.entity.EditOperationEntity;
import dev.emend.gateway.mapping.EditJson;
import dev.emend.gateway.mapping.OperationJson;
import dev.emend.gateway.mapping.ProtoMapper;
import dev.emend.gateway.repository.EditOperationRepository;
import dev.emend.gateway.rest.Problem;
import dev.emend.gateway.rest.ProblemException;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.security.KeyHashing;
import dev.emend.gateway.security.Role;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Long edits and method trainings as operations (kind {@code edit} / {@code training}). {@link #accept} validates the call exactly as the synchronous edit
 * endpoint does, stores it (with its idempotency key) and answers at once; a worker sends it to
 * the phase without any deadline, follows it with GetEditProgress every {@code poll-ms} (stage,
 * fraction, ETA into the row), passes a cancel on with CancelEdit, and writes the result or the
 * problem. The row is the durable record: on start the gateway resumes every operation left
 * queued or running, and when the phase goes away mid-edit the worker re-sends the call with the
 * same key after a backoff — the phase applies a key at most once, so a re-send either finds the
 * committed result or computes it anew; nothing is applied twice. A training ({@link #acceptTraining})
 * is the phase's TrainMethod call, checked by the phase (validate_only) before it is accepted, then
 * sent, followed (GetEditProgress by method and key) and cancelled by the same worker and follower.
 */
@ApplicationScoped
public class OperationService {
    private static final Logger LOG = Logger.getLogger(OperationService.class);

    @Inject
    EditService edits;
    @Inject
    Phases phases;
    @Inject
    AuditService audit;
    @Inject
    EditOperationRepository repo;
    @Inject
    MethodCatalog catalog;

    @ConfigProperty(name = "emend.gateway.operations.workers", defaultValue = "2")
    int workers;
    @ConfigProperty(name = "emend.gateway.operations.poll-ms", defaultValue = "1000")
    long pollMs;
    @ConfigProperty(name = "emend.gateway.operations.max-backoff-seconds", defaultValue = "60")
    long maxBackoffSeconds;

    private ExecutorService pool;
    private ScheduledExecutorService follower;
    private volatile boolean stopping;

    void onStart(@Observes StartupEvent event) {
        pool = Executors.newFixedThreadPool(Math.max(1, workers), r -> daemon(r, "emend-operation"));
        follower = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "emend-operation-progress"));
        resumeUnfinished();
    }

    /**
     * Re-submits every operation left queued or running (after a restart of the gateway: its worker
     * died with it). The phase answers a re-sent key with the committed result, or computes it if it
     * never committed; nothing is applied twice. Returns the ids resumed.
     */
    public List<String> resumeUnfinished() {
        List<String> open = QuarkusTransaction.requiringNew().call(() -> repo.list(
                "status in ?1 order by createdAt", List.of(EditOperationEntity.QUEUED, EditOperationEntity.RUNNING))
                .stream().map(o -> o.id).toList());
        if (!open.isEmpty()) {
            LOG.infof("resuming %d operation(s) left queued or running: %s", open.size(), open);
        }
        open.forEach(this::submit);
        return open;
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (pool != null) {
            pool.shutdownNow();
            follower.shutdownNow();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Accepts an edit call as an operation. A client Idempotency-Key names the operation: the same
     * key with the same body returns the existing operation, with another body 409.
     */
    public OperationJson.OperationOutJson accept(Caller caller, String space, EditJson.ApplyEditsJson body,
                                                 String idempotencyKey) {
        String key = idempotencyKey != null ? idempotencyKey : "op-" + UUID.randomUUID();
        EditService.Prepared p = edits.prepare(caller, space, body, key, idempotencyKey, "edit.operation");
        String hash = KeyHashing.sha256(p.request().toBuilder().clearIdempotencyKey().build().toByteArray());
        if (idempotencyKey != null) {
            EditOperationEntity existing = QuarkusTransaction.requiringNew().call(() ->
                    repo.find("space = ?1 and idempotencyKey = ?2", space, key).firstResult());
            if (existing != null) {
                if (!existing.requestHash.equals(hash)) {
                    throw ProblemException.conflict("Idempotency-Key '" + key + "' already names operation " + existing.id
                            + " with a different request in space '" + space + "'; use a new key.");
                }
                return view(existing);
            }
        }
        EditOperationEntity op = newOperation(caller, EditOperationEntity.EDIT, space, p.phase(), p.request().getMethod(),
                key, hash, p.request().toByteArray(), p.request().getRequestsCount(), "edit.operation", p.what());
        return view(op);
    }

    /**
     * Accepts the training of a trainable method (editor or admin) for its phase's model. The phase
     * checks the request first (validate_only: method, hparams, files, existing component, running
     * training), so a refusal is the answer here and nothing is stored; a client Idempotency-Key names
     * the operation as for edits.
     */
    public OperationJson.OperationOutJson acceptTraining(Caller caller, String method, OperationJson.TrainingJson body,
                                                         String idempotencyKey) {
        String key = idempotencyKey != null ? idempotencyKey : "train-" + UUID.randomUUID();
        PhaseName phase = null;
        TrainMethodRequest request;
        try {
            caller.require(Role.EDITOR, "training a method");
            MethodCatalog.Trainable t = catalog.trainable(method, "method");
            phase = t.phase();
            OperationJson.TrainingJson b = body != null ? body : new OperationJson.TrainingJson(null, null, null, null);
            TrainMethodRequest.Builder rb = TrainMethodRequest.newBuilder().setMethod(t.method().getName())
                    .setHparams(ProtoMapper.struct(b.hparams(), "hparams")).setOverwrite(Boolean.TRUE.equals(b.overwrite()))
                    .setIdempotencyKey(key);
            if (b.trainFiles() != null) {
                rb.addAllTrainFiles(b.trainFiles());
            }
            if (b.valFraction() != null) {
                if (!(b.valFraction() >= 0 && b.valFraction() < 1)) {
                    throw ProblemException.badRequest("val_fraction", "'val_fraction' must be in [0, 1).");
                }
                rb.setValFraction(b.valFraction());
            }
            request = rb.build();
            String hash = KeyHashing.sha256(request.toBuilder().clearIdempotencyKey().build().toByteArray());
            if (idempotencyKey != null) {
                EditOperationEntity existing = QuarkusTransaction.requiringNew().call(() -> repo.find(
                        "kind = ?1 and method = ?2 and idempotencyKey = ?3", EditOperationEntity.TRAINING,
                        request.getMethod(), key).firstResult());
                if (existing != null) {
                    if (!existing.requestHash.equals(hash)) {
                        throw ProblemException.conflict("Idempotency-Key '" + key + "' already names training operation "
                                + existing.id + " with a different request; use a new key.");
                    }
                    return view(existing);
                }
            }
            PhaseName p = phase;
            phases.call(p, c -> c.checkTraining(request));
            EditOperationEntity op = newOperation(caller, EditOperationEntity.TRAINING, null, phase, request.getMethod(), key,
                    hash, request.toByteArray(), 0, "method.training", "training of " + request.getMethod()
                            + (request.getTrainFilesCount() == 0 ? " on the default files" : " on " + request.getTrainFilesList()));
            return view(op);
        } catch (RuntimeException e) {
            audit.recordQuietly(caller, new AuditService.Event("method.training", null, phase == null ? null : phase.id(),
                    method, List.of(), idempotencyKey, "refused", EditService.status(e), e.getMessage()));
            throw e;
        }
    }

    /** Records the intent (audit row), stores the operation as queued and hands it to a worker. */
    private EditOperationEntity newOperation(Caller caller, String kind, String space, PhaseName phase, String method,
                                             String key, String hash, byte[] request, int requests, String action,
                                             String what) {
        long row;
        try {
            row = audit.record(caller, new AuditService.Event(action, space, phase.id(), method, List.of(), key,
                    EditService.PENDING, 0, what));
        } catch (RuntimeException e) {
            throw ProblemException.unavailable("The gateway could not record this operation (its database refused the "
                    + "audit row); nothing was accepted. Retry later.", 5);
        }
        EditOperationEntity op = new EditOperationEntity();
        op.id = UUID.randomUUID().toString();
        op.kind = kind;
        op.space = space;
        op.phase = phase.id();
        op.method = method;
        op.createdBy = caller.keyId();
        op.idempotencyKey = key;
        op.requestHash = hash;
        op.request = request;
        op.requests = requests;
        op.status = EditOperationEntity.QUEUED;
        op.stage = "queued";
        op.auditRow = row;
        op.createdAt = OffsetDateTime.now();
        op.updatedAt = op.createdAt;
        QuarkusTransaction.requiringNew().run(() -> repo.persist(op));
        submit(op.id);
        return op;
    }

    public OperationJson.OperationOutJson get(Caller caller, String id) {
        caller.require(Role.READER, "reading operations");
        return view(load(id));
    }

    public OperationJson.OperationListJson list(Caller caller, String space, String status, int limit) {
        caller.require(Role.READER, "reading operations");
        if (status != null && !List.of(EditOperationEntity.QUEUED, EditOperationEntity.RUNNING, EditOperationEntity.SUCCEEDED,
                EditOperationEntity.FAILED, EditOperationEntity.CANCELLED).contains(status)) {
            throw ProblemException.badRequest("status", "'status' is '" + status
                    + "': use queued, running, succeeded, failed or cancelled.");
        }
        StringBuilder q = new StringBuilder("1 = 1");
        java.util.Map<String, Object> params = new java.util.HashMap<>();
        if (space != null) {
            q.append(" and space = :space");
            params.put("space", space);
        }
        if (status != null) {
            q.append(" and status = :status");
            params.put("status", status);
        }
        q.append(" order by createdAt desc");
        List<EditOperationEntity> ops = QuarkusTransaction.requiringNew().call(() ->
                repo.find(q.toString(), params).page(0, limit).list());
        return new OperationJson.OperationListJson(ops.stream().map(this::view).toList());
    }

    /**
     * Asks an operation to stop (editor of its space; for a training, any editor). Queued: it ends
     * cancelled without being sent. Running: the phase drops the unit it is computing (units
     * committed before it stay live, as the result problem says); a training stops at its next step
     * and writes nothing. Finished: 409.
     */
    public OperationJson.OperationOutJson cancel(Caller caller, String id) {
        EditOperationEntity op = load(id);
        if (op.training()) {
            caller.require(Role.EDITOR, "cancelling a training");
        } else {
            caller.requireEditorOf(op.space);
        }
        if (op.finished()) {
            throw ProblemException.conflict("Operation " + id + " has already " + op.status + "; there is nothing to cancel.");
        }
        update(id, o -> o.cancelRequested = true);
        EditOperationEntity now = load(id);
        if (EditOperationEntity.RUNNING.equals(now.status)) {
            askPhaseToCancel(now);
        }
        return view(now);
    }

    private void askPhaseToCancel(EditOperationEntity op) {
        try {
            phases.client(PhaseName.parse(op.phase, "phase")).cancelEdit(progressRequest(op));
        } catch (RuntimeException e) {
            LOG.warnf("operation %s: the %s phase could not be told to cancel now (%s); the next progress poll retries",
                    op.id, op.phase, e.getMessage());
        }
    }

    private void submit(String id) {
        pool.submit(() -> {
            try {
                run(id);
            } catch (RuntimeException e) {
                if (!stopping) {
                    LOG.errorf(e, "operation %s: worker failed; it stays as it is and resumes on the next start", id);
                }
            }
        });
    }

    /** Sends the call until it has an answer: re-sent with the same key when the phase is unavailable. */
    private void run(String id) {
        for (int attempt = 1; !stopping; attempt++) {
            EditOperationEntity op = load(id);
            if (op.finished()) {
                return;
            }
            if (op.cancelRequested) {
                finish(id, EditOperationEntity.CANCELLED, null, Problem.of(409, "Cancelled",
                        "Cancelled before it was sent to the " + op.phase + " phase; nothing was applied."));
                return;
            }
            update(id, o -> {
                o.status = EditOperationEntity.RUNNING;
                o.attempts++;
            });
            ScheduledFuture<?> follow = follower.scheduleWithFixedDelay(() -> follow(id), pollMs, pollMs, TimeUnit.MILLISECONDS);
            try {
                finish(id, EditOperationEntity.SUCCEEDED, send(op), null);
                return;
            } catch (PhaseUnavailableException e) {
                if (stopping) {
                    return;
                }
                if (cancelledByPhase(e) && load(id).cancelRequested) {
                    finish(id, EditOperationEntity.CANCELLED, null, Problem.of(409, "Cancelled", e.getMessage()));
                    return;
                }
                long wait = Math.min(maxBackoffSeconds, 1L << Math.min(attempt, 6));
                LOG.warnf("operation %s: the %s phase is unavailable (%s); re-sending with the same key in %d s",
                        id, op.phase, e.getMessage(), wait);
                update(id, o -> o.stage = "waiting for the " + o.phase + " phase (re-send in " + wait + " s)");
                sleep(wait);
            } catch (PhaseRequestException e) {
                finish(id, e.code() == Status.Code.CANCELLED ? EditOperationEntity.CANCELLED : EditOperationEntity.FAILED,
                        null, Problem.of(e.httpStatus(), e.title(), e.getMessage()).withPhase(op.phase));
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "operation %s failed", id);
                finish(id, EditOperationEntity.FAILED, null, Problem.of(500, "Internal error",
                        "The operation failed in the gateway: " + e.getMessage()));
                return;
            } finally {
                follow.cancel(false);
            }
        }
    }

    /** Sends the stored call to its phase (no deadline) and returns the answer's bytes. */
    private byte[] send(EditOperationEntity op) {
        EditorClient phase = phases.client(PhaseName.parse(op.phase, "phase"));
        return op.training() ? phase.trainMethodUnbounded(parse(op.request, TrainMethodRequest.parser())).toByteArray()
                : phase.applyEditsUnbounded(parse(op.request, ApplyEditsRequest.parser())).toByteArray();
    }

    /** The phase's own CANCELLED (CancelEdit), as opposed to a lost connection. */
    private static boolean cancelledByPhase(PhaseUnavailableException e) {
        return e.getCause() instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.CANCELLED
                && s.getStatus().getDescription() != null && s.getStatus().getDescription().contains("CancelEdit");
    }

    /** One progress poll: copies the phase's progress into the row and passes a pending cancel on. */
    private void follow(String id) {
        try {
            EditOperationEntity op = load(id);
            if (!EditOperationEntity.RUNNING.equals(op.status)) {
                return;
            }
            EditProgress p = phases.client(PhaseName.parse(op.phase, "phase")).editProgress(progressRequest(op));
            if (p.getState() == EditProgressState.EDIT_PROGRESS_STATE_QUEUED
                    || p.getState() == EditProgressState.EDIT_PROGRESS_STATE_RUNNING) {
                update(id, o -> {
                    o.stage = p.getState() == EditProgressState.EDIT_PROGRESS_STATE_QUEUED ? "queued in the " + o.phase
                            + " phase" : p.getStage();
                    o.fraction = p.getFraction();
                    o.unitsDone = p.getUnitsDone();
                    o.unitsTotal = p.getUnitsTotal();
                    o.etaSeconds = p.getEtaSeconds();
                });
                if (op.cancelRequested && !p.getCancelRequested()) {
                    askPhaseToCancel(op);
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("operation %s: progress poll failed: %s", id, e.getMessage());
        }
    }

    private void finish(String id, String status, byte[] result, Problem problem) {
        update(id, o -> {
            o.status = status;
            o.finishedAt = OffsetDateTime.now();
            if (result != null) {
                o.result = result;
                o.fraction = 1;
                o.unitsDone = o.unitsTotal;
                o.stage = "done";
                o.etaSeconds = 0;
            }
            if (problem != null) {
                o.errorStatus = problem.status();
                o.errorTitle = problem.title();
                o.errorDetail = problem.detail();
                o.stage = status;
            }
        });
        EditOperationEntity op = load(id);
        if (op.auditRow != null) {
            if (result != null && op.training()) {
                TrainMethodResponse t = parse(result, TrainMethodResponse.parser());
                edits.complete(op.auditRow, "ok", 200, t.getMethod(), List.of(), "operation " + id + ": trained "
                        + t.getFile() + " in " + Math.round(t.getSeconds()) + " s");
            } else if (result != null) {
                EditService.Completion c = EditService.completion(parse(result, ApplyEditsResponse.parser()), "operation " + id);
                edits.complete(op.auditRow, "ok", 200, c.method(), c.editIds(), c.detail());
            } else {
                edits.complete(op.auditRow, EditOperationEntity.CANCELLED.equals(status) ? "cancelled" : "refused",
                        problem.status(), null, List.of(), "operation " + id + ": " + problem.detail());
            }
        }
        LOG.infof("operation %s %s", id, status);
    }

    private EditOperationEntity load(String id) {
        EditOperationEntity op = QuarkusTransaction.requiringNew().call(() -> repo.findById(id));
        if (op == null) {
            throw ProblemException.notFound("No operation '" + id + "'. GET /v1/operations lists them.");
        }
        return op;
    }

    /**
     * Read-modify-write of one row under its row lock. Without the lock two writers (the worker
     * marking the operation running, a caller's cancel) each wrote back the whole row as they had
     * read it, and the later one undid the other: a cancel could put a running operation back to
     * "queued" (attempts 0), so no progress poll passed the cancel on and the edit was applied.
     */
    private void update(String id, Consumer<EditOperationEntity> change) {
        QuarkusTransaction.requiringNew().run(() -> {
            EditOperationEntity op = repo.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
            change.accept(op);
            op.updatedAt = OffsetDateTime.now();
        });
    }

    private OperationJson.OperationOutJson view(EditOperationEntity op) {
        double elapsed = ((op.finishedAt != null ? op.finishedAt : OffsetDateTime.now()).toInstant().toEpochMilli()
                - op.createdAt.toInstant().toEpochMilli()) / 1000.0;
        EditJson.AppliedJson result = op.result == null || op.training() ? null
                : ProtoMapper.applied(parse(op.result, ApplyEditsResponse.parser()));
        OperationJson.TrainedJson trained = null;
        if (op.result != null && op.training()) {
            TrainMethodResponse t = parse(op.result, TrainMethodResponse.parser());
            trained = new OperationJson.TrainedJson(t.getFile(), t.getModelFingerprint(), t.getTrainFilesList(), t.getSeconds(),
                    t.getSummary());
        }
        Problem error = op.errorStatus == null ? null : Problem.of(op.errorStatus, op.errorTitle, op.errorDetail)
                .withInstance("/v1/operations/" + op.id);
        return new OperationJson.OperationOutJson(op.id, op.kind, op.space, op.phase, op.method, op.requests, op.status,
                new OperationJson.ProgressJson(op.stage, op.fraction, op.unitsDone, op.unitsTotal, elapsed, op.etaSeconds),
                op.cancelRequested, op.attempts, op.idempotencyKey, op.createdAt.toInstant().toString(),
                op.updatedAt.toInstant().toString(), op.finishedAt == null ? null : op.finishedAt.toInstant().toString(),
                result, trained, error);
    }

    /** Names the call for GetEditProgress/CancelEdit: an edit by its space and key, a training by its method and key. */
    private static EditProgressRequest progressRequest(EditOperationEntity op) {
        EditProgressRequest.Builder b = EditProgressRequest.newBuilder().setIdempotencyKey(op.idempotencyKey);
        return op.training() ? b.setMethod(op.method).build() : b.setSpace(op.space).build();
    }

    /** A stored request or answer (protobuf bytes). */
    private static <T> T parse(byte[] bytes, com.google.protobuf.Parser<T> parser) {
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored operation unreadable: " + e.getMessage(), e);
        }
    }

    private void sleep(long seconds) {
        try {
            Thread.sleep(seconds * 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

}
