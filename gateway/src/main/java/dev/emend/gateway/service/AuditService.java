package dev.emend.gateway.service;

import dev.emend.gateway.entity.AuditEventEntity;
import dev.emend.gateway.repository.AuditRepository;
import dev.emend.gateway.security.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * Writes the audit trail: every edit, rollback, space, key and experiment change, successful or
 * refused, with the key that asked. Its own transaction, so a failed action is still recorded.
 */
@ApplicationScoped
public class AuditService {
    @Inject
    AuditRepository audit;

    /** What happened, for one audit row. */
    public record Event(String action, String space, String phase, String method, List<String> editIds,
                        String idempotencyKey, String outcome, int httpStatus, String detail) {
    }

    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public void record(Caller caller, Event e) {
        AuditEventEntity a = new AuditEventEntity();
        a.at = OffsetDateTime.now();
        a.keyId = caller.keyId();
        a.keyName = caller.keyName();
        a.role = caller.role().id();
        a.action = e.action();
        a.space = e.space();
        a.phase = e.phase();
        a.method = e.method();
        a.editIds = e.editIds() == null || e.editIds().isEmpty() ? null : String.join(",", e.editIds());
        a.idempotencyKey = e.idempotencyKey();
        a.outcome = e.outcome();
        a.httpStatus = e.httpStatus();
        a.detail = e.detail() == null ? null : e.detail().substring(0, Math.min(4000, e.detail().length()));
        audit.persist(a);
    }

    @Transactional
    public List<AuditEventEntity> latest(String space, String keyId, int limit) {
        return audit.latest(space, keyId, limit);
    }
}
