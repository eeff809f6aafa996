package dev.emend.evaluation.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** A run (table evaluation.run); proto messages are kept serialized. */
@Entity
@Table(name = "run")
public class RunEntity extends PanacheEntityBase {
    @Id
    public String id;
    @Column(nullable = false)
    public String name = "";
    /** emend.v1.RunStatus name, e.g. RUN_STATUS_RUNNING. */
    @Column(nullable = false)
    public String status;
    @Column(name = "status_reason", nullable = false)
    public String statusReason = "";
    /** Serialized emend.v1.RunRequest. */
    @Column(nullable = false)
    public byte[] request;
    /** Serialized emend.v1.Progress. */
    public byte[] progress;
    /** Serialized emend.v1.ProtocolRecord. */
    public byte[] protocol;
    @Column(name = "model_fingerprint", nullable = false)
    public String modelFingerprint = "";
    @Column(name = "cases_done", nullable = false)
    public long casesDone;
    @Column(name = "cases_total", nullable = false)
    public long casesTotal;
    @Column(name = "resume_count", nullable = false)
    public int resumeCount;
    @Column(name = "report_dir", nullable = false)
    public String reportDir = "";
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "finished_at")
    public Instant finishedAt;
}
