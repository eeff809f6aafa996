package dev.emend.phase.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One computed update (one edit, or a whole batch): the method, its effective hparams and the
 * engine's payload, which is what replay applies.
 */
@Entity
@Table(name = "edit_unit")
public class EditUnitEntity extends PanacheEntityBase {
    @Id
    public String id;
    public String space;
    @Column(name = "first_sequence")
    public long firstSequence;
    public String method;
    /** Effective hparams as JSON. */
    public String hparams;
    public String mode;
    @Column(name = "base_fingerprint")
    public String baseFingerprint;
    public byte[] payload;
}
