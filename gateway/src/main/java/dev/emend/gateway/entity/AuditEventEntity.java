package dev.emend.gateway.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** One audited action (edit, rollback, space or key change): who, when, what, from which key. */
@Entity
@Table(name = "audit_event")
public class AuditEventEntity {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    public OffsetDateTime at;
    @Column(name = "key_id")
    public String keyId;
    @Column(name = "key_name")
    public String keyName;
    public String role;
    public String action;
    public String space;
    public String phase;
    public String method;
    @Column(name = "edit_ids")
    public String editIds;
    @Column(name = "idempotency_key")
    public String idempotencyKey;
    public String outcome;
    @Column(name = "http_status")
    public int httpStatus;
    public String detail;
}
