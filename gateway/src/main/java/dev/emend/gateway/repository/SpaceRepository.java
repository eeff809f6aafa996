package dev.emend.gateway.repository;

import dev.emend.gateway.entity.SpaceEntity;
import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

/** The space -> phase registry. */
@ApplicationScoped
public class SpaceRepository implements PanacheRepositoryBase<SpaceEntity, String> {
}
