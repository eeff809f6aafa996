package dev.emend.phase.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** A space's row: its name, description and ledger head. */
@Entity
@Table(name = "space")
public class SpaceEntity extends PanacheEntityBase {
    @Id
    public String name;
    public String description;
    @Column(name = "head_sequence")
    public long headSequence;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;
}
