package dev.emend.gateway.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** An API key: only its SHA-256 is stored. */
@Entity
@Table(name = "api_key")
public class ApiKeyEntity {
    @Id
    public String id;
    public String name;
    @Column(name = "key_hash")
    public String keyHash;
    public String role;
    public String spaces;
    @Column(name = "requests_per_minute")
    public Long requestsPerMinute;
    @Column(name = "created_by")
    public String createdBy;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "revoked_at")
    public OffsetDateTime revokedAt;
}
