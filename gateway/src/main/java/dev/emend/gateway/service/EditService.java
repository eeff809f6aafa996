package dev.emend.gateway.service;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.EditRecord;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.EditStatus;
import dev.emend.api.v1.ListEditsRequest;
import dev.emend.api.v1.ListEditsResponse;
import dev.emend.api.v1.MethodInfo;
import dev.emend.api.v1.RollbackRequest;
import dev.emend.api.v1.RollbackResponse;
import dev.emend.gateway.client.PhaseName;
import dev.emend.gateway.client.PhaseRequestException;
import dev.emend.gateway.client.PhaseUnavailableException;
import dev.emend.gateway.client.Phases;
import dev.emend.gateway.mapping.EditJson;
import dev.emend.gateway.mapping.ProtoMapper;
import dev.emend.gateway.rest.ProblemException;
import dev.emend.gateway.security.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Edits and rollbacks: validates the whole request, checks the method against the space's phase,
 * records the intent, passes the Idempotency-Key (the client's or a generated one) to the phase
 * service (which returns the first result on a retry), goes through the bounded edit queue, and
 * completes the audit row with the outcome (see {@link #recorded}).
 */
@ApplicationScoped
public class EditService {
    private static final Logger LOG = Logger.getLogger(EditService.class);
    static final String PENDING = "pending";

    @Inject
    SpaceService spaces;
    @Inject
    MethodCatalog catalog;
    @Inject
    Phases phases;
    @Inject
    ProtoMapper mapper;
    @Inject
    EditQueue queue;
    @Inject
    AuditService audit;

    /** A validated edit call, ready to send: the space's phase and the phase's request (with its key). */
    public record Prepared(PhaseName phase, ApplyEditsRequest request) {
        /** What the audit row says about the call. */
        String what() {
            EditRequest first = request.getRequests(0);
            return request.getRequestsCount() + " edit request(s), first prompt '" + first.getPrompt() + "' -> '"
                    + first.getTargetNew() + "'";
        }
    }

    public EditJson.AppliedJson apply(Caller caller, String space, EditJson.ApplyEditsJson body, String idempotencyKey) {
        // A key always goes to the phase: the client's, or one the gateway makes, so that the audit
        // row names the call and a retry of an edit whose answer was lost can never apply it twice.
        String key = idempotencyKey != null ? idempotencyKey : "gw-" + UUID.randomUUID();
        Prepared p = prepare(caller, space, body, key, idempotencyKey, "edit.apply");
        ApplyEditsResponse r = recorded(caller, new AuditService.Event("edit.apply", space, p.phase().id(),
                p.request().getMethod(), List.of(), key, PENDING, 0, p.what()), "retry with the header 'Idempotency-Key: "
                + key + "': the phase applies a key at most once and answers a retry with the first result",
                () -> phases.call(p.phase(), c -> c.applyEdits(p.request())), done -> completion(done, p.what()));
        return ProtoMapper.applied(r);
    }

    /**
     * Checks the caller's right to edit the space and validates the whole body into the phase's
     * request; a refusal is audited under {@code action} and rethrown. Nothing is sent or stored.
     */
    public Prepared prepare(Caller caller, String space, EditJson.ApplyEditsJson body, String key, String clientKey,
                            String action) {
        String methodName = body == null ? null : body.method();
        PhaseName phase = null;
        try {
            caller.requireEditorOf(space);
            phase = spaces.phaseOf(space, null);
            return new Prepared(phase, applyRequest(phase, space, body, key));
        } catch (RuntimeException e) {
            audit.recordQuietly(caller, new AuditService.Event(action, space, phase == null ? null : phase.id(),
                    methodName, List.of(), clientKey, "refused", status(e), e.getMessage()));
            throw e;
        }
    }

    /** How a successful ApplyEdits is written into its audit row. */
    static Completion completion(ApplyEditsResponse done, String what) {
        return new Completion(done.getMethod(), done.getEditsList().stream().map(EditRecord::getId).toList(),
                done.getEditsCount() + " edit(s), model_version " + done.getModelVersion().getSequence() + ", " + what);
    }

    /** Validates the whole body and builds the phase's request; nothing is sent or stored yet. */
    private ApplyEditsRequest applyRequest(PhaseName phase, String space, EditJson.ApplyEditsJson body, String key) {
        if (body == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"method\": \"FT-M\", \"requests\": [{\"prompt\": ..., "
                    + "\"subject\": ..., \"target_new\": ...}]}.");
        }
        MethodInfo method = catalog.method(phase, body.method(), "method");
        ApplyEditsRequest.Builder b = ApplyEditsRequest.newBuilder().setSpace(space).setMethod(method.getName())
                .setHparams(ProtoMapper.struct(body.hparams(), "hparams"))
                .addAllRequests(mapper.editRequests(body.requests(), "requests"))
                .setMode(ProtoMapper.mode(body.mode(), "mode"))
                .setIdempotencyKey(key);
        if (body.batchSize() != null) {
            if (body.batchSize() < 0) {
                throw ProblemException.badRequest("batch_size", "'batch_size' must be >= 0 (0 = all in one batch).");
            }
            b.setBatchSize(body.batchSize());
        }
        if (body.expectedSequence() != null) {
            if (body.expectedSequence() < 0) {
                throw ProblemException.badRequest("expected_sequence", "'expected_sequence' must be >= 0.");
            }
            b.setExpectedSequence(body.expectedSequence());
        }
        return b.build();
    }

    public EditJson.RolledBackJson rollback(Caller caller, String space, String editId, String idempotencyKey) {
        PhaseName phase;
        try {
            caller.requireEditorOf(space);
            phase = spaces.phaseOf(space, null);
        } catch (RuntimeException e) {
            audit.recordQuietly(caller, new AuditService.Event("edit.rollback", space, null, null, List.of(editId),
                    idempotencyKey, "refused", status(e), e.getMessage()));
            throw e;
        }
        // A rollback is idempotent by its edit id (a second one is 409, "already rolled back"), so no
        // key is made up here: the phase answers a client's key on a rolled-back edit as a retry.
        RollbackRequest.Builder b = RollbackRequest.newBuilder().setSpace(space).setEditId(editId);
        if (idempotencyKey != null) {
            b.setIdempotencyKey(idempotencyKey);
        }
        RollbackRequest request = b.build();
        RollbackResponse r = recorded(caller, new AuditService.Event("edit.rollback", space, phase.id(), null,
                List.of(editId), idempotencyKey, PENDING, 0, "rollback of " + editId), "retry: a rollback is never applied "
                + "twice (GET the edit to see its status)",
                () -> phases.call(phase, c -> c.rollback(request)),
                done -> new Completion(done.getEdit().getMethod(), List.of(editId), ProtoMapper.enumName(done.getKind(),
                        "ROLLBACK_KIND_") + " rollback, model_version " + done.getModelVersion().getSequence() + ": "
                        + done.getReason()));
        return ProtoMapper.rolledBack(r);
    }

    /** How a completed call is written into its audit row. */
    record Completion(String method, List<String> editIds, String detail) {
    }

    /**
     * The safe order of effects for a call that changes a space: (1) its audit row is written as
     * "pending" — if the database refuses it, nothing is sent and the client gets 503; (2) the call
     * goes through the edit queue to the phase, which applies it and commits its ledger together;
     * (3) the row is completed ("ok", "refused", or "unknown" when the answer was lost in flight).
     * If step 3 fails, the change is live and recorded (the pending row and the phase's ledger),
     * so the client still gets its 200 and the failure is logged: there is no path on which the
     * client sees an error while the change is live without the Idempotency-Key to recover it.
     */
    private <T> T recorded(Caller caller, AuditService.Event intent, String retryAdvice, Supplier<T> call,
                           Function<T, Completion> completion) {
        long row;
        try {
            row = audit.record(caller, intent);
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s in %s not sent: its audit row could not be written", intent.action(), intent.space());
            throw ProblemException.unavailable("The gateway could not record this change before applying it (its "
                    + "database refused the audit row); nothing was applied. Retry later.", 5);
        }
        T done;
        try {
            done = queue.run(call);
        } catch (RuntimeException e) {
            boolean lost = e instanceof PhaseUnavailableException;
            complete(row, lost ? "unknown" : "refused", status(e), null, List.of(), e.getMessage());
            if (lost) {
                throw new PhaseUnavailableException(((PhaseUnavailableException) e).phase(), e.getMessage()
                        + " If the change may have reached the phase, " + retryAdvice + ".", e);
            }
            throw e;
        }
        Completion c = completion.apply(done);
        complete(row, "ok", 200, c.method(), c.editIds(), c.detail());
        return done;
    }

    void complete(long row, String outcome, int status, String method, List<String> editIds, String detail) {
        try {
            audit.complete(row, outcome, status, method, editIds, detail);
        } catch (RuntimeException e) {
            LOG.errorf(e, "audit row %d not completed (outcome %s, status %d): it stays '%s'; the phase's ledger holds "
                    + "the change", row, outcome, status, PENDING);
        }
    }

    public EditJson.EditListJson list(String space, String status, Integer pageSize, String pageToken) {
        PhaseName phase = spaces.phaseOf(space, null);
        ListEditsRequest.Builder b = ListEditsRequest.newBuilder().setSpace(space);
        if (status != null) {
            try {
                b.setStatus(EditStatus.valueOf("EDIT_STATUS_" + status.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ProblemException.badRequest("status", "'status' is '" + status + "': use live, superseded or rolled_back.");
            }
        }
        if (pageSize != null) {
            if (pageSize < 1 || pageSize > 1000) {
                throw ProblemException.badRequest("page_size", "'page_size' must be in [1, 1000].");
            }
            b.setPageSize(pageSize);
        }
        if (pageToken != null) {
            b.setPageToken(pageToken);
        }
        ListEditsResponse r = phases.call(phase, c -> c.listEdits(b.build()));
        return new EditJson.EditListJson(phase.id(), space, ProtoMapper.version(r.getModelVersion()),
                r.getEditsList().stream().map(ProtoMapper::record).toList(), r.getNextPageToken().isEmpty() ? null : r.getNextPageToken());
    }

    /** One edit by id (the Editor API has no get: pages through the ledger). */
    public EditJson.EditRecordJson get(String space, String editId) {
        PhaseName phase = spaces.phaseOf(space, null);
        String token = "";
        do {
            String t = token;
            ListEditsResponse r = phases.call(phase, c -> c.listEdits(ListEditsRequest.newBuilder().setSpace(space)
                    .setPageSize(1000).setPageToken(t).build()));
            for (EditRecord e : r.getEditsList()) {
                if (e.getId().equals(editId)) {
                    return ProtoMapper.record(e);
                }
            }
            token = r.getNextPageToken();
        } while (!token.isEmpty());
        throw ProblemException.notFound("Space '" + space + "' has no edit '" + editId + "'. List its edits with GET /v1/spaces/"
                + space + "/edits.");
    }

    static int status(RuntimeException e) {
        if (e instanceof ProblemException p) {
            return p.problem().status();
        }
        if (e instanceof PhaseRequestException p) {
            return p.httpStatus();
        }
        if (e instanceof PhaseUnavailableException) {
            return 503;
        }
        return 500;
    }
}
