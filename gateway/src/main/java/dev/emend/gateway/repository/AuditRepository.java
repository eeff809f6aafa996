package dev.emend.gateway.repository;

import dev.emend.gateway.entity.AuditEventEntity;
import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/** The audit trail, newest first. */
@ApplicationScoped
public class AuditRepository implements PanacheRepositoryBase<AuditEventEntity, Long> {
    public List<AuditEventEntity> latest(String space, String keyId, int limit) {
        StringBuilder q = new StringBuilder("1 = 1");
        java.util.Map<String, Object> p = new java.util.HashMap<>();
        if (space != null) {
            q.append(" and space = :space");
            p.put("space", space);
        }
        if (keyId != null) {
            q.append(" and keyId = :keyId");
            p.put("keyId", keyId);
        }
        return find(q.toString(), Sort.descending("id"), p).page(Page.ofSize(limit)).list();
    }
}
