package dev.emend.gateway.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** Which phase owns a space (a space lives in exactly one phase service). */
@Entity
@Table(name = "space")
public class SpaceEntity {
    @Id
    public String name;
    public String phase;
    public String description;
    @Column(name = "created_by")
    public String createdBy;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
}
