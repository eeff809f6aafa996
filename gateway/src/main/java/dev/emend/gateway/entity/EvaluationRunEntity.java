package dev.emend.gateway.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** An evaluation run started through the gateway (and the experiment it belongs to, if any). */
@Entity
@Table(name = "evaluation_run")
public class EvaluationRunEntity {
    @Id
    @Column(name = "run_id")
    public String runId;
    @Column(name = "experiment_id")
    public String experimentId;
    @Column(name = "created_by")
    public String createdBy;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
}
