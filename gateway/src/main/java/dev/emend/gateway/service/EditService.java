package dev.emend.gateway.service;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.EditRecord;
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

import java.util.List;
import java.util.Locale;

/**
 * Edits and rollbacks: checks the method against the space's phase, passes the Idempotency-Key
 * to the phase service (which returns the first result on a retry), goes through the bounded
 * edit queue, and audits every attempt with its outcome.
 */
@ApplicationScoped
public class EditService {
    private static final String SPACE = "space";

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

    public EditJson.AppliedJson apply(Caller caller, String space, EditJson.ApplyEditsJson body, String idempotencyKey) {
        PhaseName phase = null;
        String methodName = body == null ? null : body.method();
        try {
            caller.requireEditorOf(space);
            phase = spaces.phaseOf(space, null);
        } catch (RuntimeException e) {
            audit.record(caller, new AuditService.Event("edit.apply", space, null, methodName, List.of(), idempotencyKey,
                    "refused", status(e), e.getMessage()));
            throw e;
        }
        if (body == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"method\": \"FT-M\", \"requests\": [{\"prompt\": ..., "
                    + "\"subject\": ..., \"target_new\": ...}]}.");
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            throw ProblemException.badRequest("Idempotency-Key", "The Idempotency-Key header must have 1-200 characters.");
        }
        PhaseName edited = phase;
        try {
            MethodInfo method = catalog.method(phase, methodName, "method");
            ApplyEditsRequest.Builder b = ApplyEditsRequest.newBuilder().setSpace(space).setMethod(method.getName())
                    .setHparams(ProtoMapper.struct(body.hparams(), "hparams"))
                    .addAllRequests(mapper.editRequests(body.requests(), "requests"))
                    .setMode(ProtoMapper.mode(body.mode(), "mode"));
            if (body.batchSize() != null) {
                if (body.batchSize() < 0) {
                    throw ProblemException.badRequest("batch_size", "'batch_size' must be >= 0 (0 = all in one batch).");
                }
                b.setBatchSize(body.batchSize());
            }
            if (body.expectedSequence() != null) {
                b.setExpectedSequence(body.expectedSequence());
            }
            if (idempotencyKey != null) {
                b.setIdempotencyKey(idempotencyKey);
            }
            ApplyEditsRequest request = b.build();
            ApplyEditsResponse r = queue.run(() -> phases.call(edited, c -> c.applyEdits(request)));
            audit.record(caller, new AuditService.Event("edit.apply", space, phase.id(), r.getMethod(),
                    r.getEditsList().stream().map(EditRecord::getId).toList(), idempotencyKey, "ok", 200,
                    r.getEditsCount() + " edit(s), model_version " + r.getModelVersion().getSequence() + ", first prompt '"
                            + request.getRequests(0).getPrompt() + "' -> '" + request.getRequests(0).getTargetNew() + "'"));
            return ProtoMapper.applied(r);
        } catch (RuntimeException e) {
            audit.record(caller, new AuditService.Event("edit.apply", space, phase.id(), methodName, List.of(), idempotencyKey,
                    "refused", status(e), e.getMessage()));
            throw e;
        }
    }

    public EditJson.RolledBackJson rollback(Caller caller, String space, String editId, String idempotencyKey) {
        PhaseName phase;
        try {
            caller.requireEditorOf(space);
            phase = spaces.phaseOf(space, null);
        } catch (RuntimeException e) {
            audit.record(caller, new AuditService.Event("edit.rollback", space, null, null, List.of(editId), idempotencyKey,
                    "refused", status(e), e.getMessage()));
            throw e;
        }
        try {
            RollbackRequest.Builder b = RollbackRequest.newBuilder().setSpace(space).setEditId(editId);
            if (idempotencyKey != null) {
                b.setIdempotencyKey(idempotencyKey);
            }
            PhaseName owner = phase;
            RollbackResponse r = queue.run(() -> phases.call(owner, c -> c.rollback(b.build())));
            audit.record(caller, new AuditService.Event("edit.rollback", space, phase.id(), r.getEdit().getMethod(),
                    List.of(editId), idempotencyKey, "ok", 200, ProtoMapper.enumName(r.getKind(), "ROLLBACK_KIND_")
                            + " rollback, model_version " + r.getModelVersion().getSequence() + ": " + r.getReason()));
            return ProtoMapper.rolledBack(r);
        } catch (RuntimeException e) {
            audit.record(caller, new AuditService.Event("edit.rollback", space, phase.id(), null, List.of(editId),
                    idempotencyKey, "refused", status(e), e.getMessage()));
            throw e;
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
