package dev.emend.gateway.repository;

import dev.emend.gateway.entity.ExperimentEntity;
import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Experiments, and the per-arm statistics computed in PostgreSQL from arm_request. */
@ApplicationScoped
public class ExperimentRepository implements PanacheRepositoryBase<ExperimentEntity, String> {
    /** Per-arm counters and latency percentiles (ms) of successful requests. */
    public record ArmStats(long requests, long errors, Double p50, Double p90, Double p99, Double mean) {
        public static final ArmStats NONE = new ArmStats(0, 0, null, null, null, null);
    }

    /** Native SQL names the schema: the JDBC search_path is not set to it. */
    public Map<Long, ArmStats> armStats(String experimentId) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = getEntityManager().createNativeQuery("""
                SELECT a.id, count(r.id), count(r.id) FILTER (WHERE NOT r.ok),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.ok),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.ok),
                       percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.ok),
                       avg(r.latency_ms) FILTER (WHERE r.ok)
                FROM gateway.experiment_arm a LEFT JOIN gateway.arm_request r ON r.arm_id = a.id
                WHERE a.experiment_id = ?1 GROUP BY a.id""").setParameter(1, experimentId).getResultList();
        Map<Long, ArmStats> out = new HashMap<>();
        for (Object[] r : rows) {
            out.put(((Number) r[0]).longValue(), new ArmStats(((Number) r[1]).longValue(), ((Number) r[2]).longValue(),
                    num(r[3]), num(r[4]), num(r[5]), num(r[6])));
        }
        return out;
    }

    private static Double num(Object o) {
        return o == null ? null : ((Number) o).doubleValue();
    }
}
