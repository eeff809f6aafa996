package dev.emend.gateway.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** A long edit or a method's training accepted as an operation (see V2__edit_operations.sql, V3__training_operations.sql). */
@Entity
@Table(name = "edit_operation")
public class EditOperationEntity {
    public static final String QUEUED = "queued";
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";
    /** An ApplyEdits call on a space. */
    public static final String EDIT = "edit";
    /** A TrainMethod call (no space). */
    public static final String TRAINING = "training";

    @Id
    public String id;
    public String kind;
    public String space;
    public String phase;
    public String method;
    @Column(name = "created_by")
    public String createdBy;
    @Column(name = "idempotency_key")
    public String idempotencyKey;
    @Column(name = "request_hash")
    public String requestHash;
    public byte[] request;
    public int requests;
    public String status;
    public int attempts;
    public String stage;
    public double fraction;
    @Column(name = "units_done")
    public int unitsDone;
    @Column(name = "units_total")
    public int unitsTotal;
    @Column(name = "eta_seconds")
    public double etaSeconds;
    @Column(name = "cancel_requested")
    public boolean cancelRequested;
    public byte[] result;
    @Column(name = "error_status")
    public Integer errorStatus;
    @Column(name = "error_title")
    public String errorTitle;
    @Column(name = "error_detail")
    public String errorDetail;
    @Column(name = "audit_row")
    public Long auditRow;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;
    @Column(name = "finished_at")
    public OffsetDateTime finishedAt;

    public boolean training() {
        return TRAINING.equals(kind);
    }

    public boolean finished() {
        return SUCCEEDED.equals(status) || FAILED.equals(status) || CANCELLED.equals(status);
    }
}
