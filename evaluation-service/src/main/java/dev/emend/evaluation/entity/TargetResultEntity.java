package dev.emend.evaluation.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import java.io.Serializable;
import java.util.Objects;

/** The aggregate result of one target of a run (serialized emend.v1.TargetResult without cases). */
@Entity
@Table(name = "target_result")
@IdClass(TargetResultEntity.Key.class)
public class TargetResultEntity extends PanacheEntityBase {
    @Id
    @Column(name = "run_id")
    public String runId;
    @Id
    @Column(name = "target_index")
    public int targetIndex;
    @Column(nullable = false)
    public byte[] result;

    public static class Key implements Serializable {
        public String runId;
        public int targetIndex;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.targetIndex == targetIndex && Objects.equals(k.runId, runId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(runId, targetIndex);
        }
    }
}
