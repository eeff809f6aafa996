package dev.emend.gateway.repository;

import dev.emend.gateway.entity.EvaluationRunEntity;
import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/** Evaluation runs the gateway started. */
@ApplicationScoped
public class EvaluationRunRepository implements PanacheRepositoryBase<EvaluationRunEntity, String> {
    public List<EvaluationRunEntity> ofExperiment(String experimentId) {
        return list("experimentId = ?1 order by createdAt", experimentId);
    }
}
