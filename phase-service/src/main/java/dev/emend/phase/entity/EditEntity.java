package dev.emend.phase.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** One edit request in a unit, with its ledger sequence and status. */
@Entity
@Table(name = "edit")
public class EditEntity extends PanacheEntityBase {
    public static final String LIVE = "LIVE";
    public static final String SUPERSEDED = "SUPERSEDED";
    public static final String ROLLED_BACK = "ROLLED_BACK";

    @Id
    public String id;
    public String space;
    @Column(name = "unit_id")
    public String unitId;
    @Column(name = "unit_index")
    public int unitIndex;
    public long sequence;
    /** The EditRequest as JSON. */
    public String request;
    @Column(name = "case_id")
    public String caseId;
    public String status;
    @Column(name = "superseded_by")
    public String supersededBy;
    @Column(name = "rolled_back_at_sequence")
    public long rolledBackAtSequence;
    @Column(name = "committed_at")
    public OffsetDateTime committedAt;
    /** Timings (queue/compute/commit/total ms) as JSON. */
    public String timings;
    /** Notes as a JSON list. */
    public String notes;
    /** Diagnostics as a JSON object. */
    public String diagnostics;
}
