package dev.emend.gateway.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** One request served through an arm (counters and latency percentiles are computed from these). */
@Entity
@Table(name = "arm_request")
public class ArmRequestEntity {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "arm_id")
    public long armId;
    public OffsetDateTime at;
    @Column(name = "latency_ms")
    public double latencyMs;
    public boolean ok;
    @Column(name = "http_status")
    public int httpStatus;
}
