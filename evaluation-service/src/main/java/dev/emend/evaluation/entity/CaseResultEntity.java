package dev.emend.evaluation.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import java.io.Serializable;
import java.util.Objects;

/** One finished case under one target (serialized emend.v1.CaseResult). */
@Entity
@Table(name = "case_result")
@IdClass(CaseResultEntity.Key.class)
public class CaseResultEntity extends PanacheEntityBase {
    @Id
    @Column(name = "run_id")
    public String runId;
    @Id
    @Column(name = "target_index")
    public int targetIndex;
    @Id
    @Column(name = "case_index")
    public int caseIndex;
    @Column(nullable = false)
    public byte[] result;

    public static class Key implements Serializable {
        public String runId;
        public int targetIndex;
        public int caseIndex;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.targetIndex == targetIndex && k.caseIndex == caseIndex
                    && Objects.equals(k.runId, runId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(runId, targetIndex, caseIndex);
        }
    }
}
