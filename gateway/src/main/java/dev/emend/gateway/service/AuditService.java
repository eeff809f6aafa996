package dev.emend.gateway.service;

import dev.emend.gateway.entity.AuditEventEntity;
import dev.emend.gateway.repository.AuditRepository;
import dev.emend.gateway.security.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import org.jboss.logging.Logger;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * Writes the audit trail: every edit, rollback, space, key and experiment change, successful or
 * refused, with the key that asked. Its own transaction, so a failed action is still recorded.
 * Edits and rollbacks are written as an intent ("pending") before they are applied and completed
 * afterwards ({@link #complete}).
 */
@ApplicationScoped
public class AuditService {
    private static final Logger LOG = Logger.getLogger(AuditService.class);

    @Inject
    AuditRepository audit;

    /** What happened, for one audit row. */
    public record Event(String action, String space, String phase, String method, List<String> editIds,
                        String idempotencyKey, String outcome, int httpStatus, String detail) {
    }

    /** Writes one row in its own transaction and returns its id; throws when the database refuses it. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public long record(Caller caller, Event e) {
        AuditEventEntity a = new AuditEventEntity();
        a.at = OffsetDateTime.now();
        a.keyId = clip(caller.keyId(), 64);
        a.keyName = clip(caller.keyName(), 200);
        a.role = caller.role().id();
        a.action = e.action();
        a.space = clip(e.space(), 63);
        a.phase = clip(e.phase(), 16);
        a.method = clip(e.method(), 64);
        a.editIds = e.editIds() == null || e.editIds().isEmpty() ? null : String.join(",", e.editIds());
        a.idempotencyKey = clip(e.idempotencyKey(), 200);
        a.outcome = e.outcome();
        a.httpStatus = e.httpStatus();
        a.detail = clip(e.detail(), 4000);
        audit.persist(a);
        audit.flush();
        return a.id;
    }

    /**
     * Records a refusal (or any outcome after the fact) without ever failing the caller: a request
     * that is answered with a 4xx keeps that answer even if its audit row cannot be written (which
     * is logged).
     */
    public void recordQuietly(Caller caller, Event e) {
        try {
            record(caller, e);
        } catch (RuntimeException failure) {
            LOG.errorf(failure, "audit row not written: %s %s space=%s outcome=%s status=%d", e.action(), caller.keyId(),
                    clip(e.space(), 63), e.outcome(), e.httpStatus());
        }
    }

    /** Sets the outcome of a row written earlier as "pending" (an intent); throws when the database refuses it. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public void complete(long id, String outcome, int httpStatus, String method, List<String> editIds, String detail) {
        AuditEventEntity a = audit.findById(id);
        if (a == null) {
            throw new IllegalStateException("audit row " + id + " is gone");
        }
        a.outcome = outcome;
        a.httpStatus = httpStatus;
        if (method != null) {
            a.method = clip(method, 64);
        }
        if (editIds != null && !editIds.isEmpty()) {
            a.editIds = String.join(",", editIds);
        }
        a.detail = clip(detail, 4000);
        audit.flush();
    }

    /** Strips NUL (PostgreSQL text cannot hold it) and cuts to the column's width. */
    static String clip(String s, int max) {
        if (s == null) {
            return null;
        }
        String t = s.indexOf('\0') < 0 ? s : s.replace("\0", "\\u0000");
        return t.length() <= max ? t : t.substring(0, max);
    }

    @Transactional
    public List<AuditEventEntity> latest(String space, String keyId, int limit) {
        return audit.latest(space, keyId, limit);
    }
}
