package dev.emend.gateway.repository;

import dev.emend.gateway.entity.EditOperationEntity;
import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

/** Edit operations (long edits run in the background). */
@ApplicationScoped
public class EditOperationRepository implements PanacheRepositoryBase<EditOperationEntity, String> {
}
