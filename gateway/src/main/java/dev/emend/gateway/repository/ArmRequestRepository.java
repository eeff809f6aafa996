package dev.emend.gateway.repository;

import dev.emend.gateway.entity.ArmRequestEntity;
import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

/** Requests served through experiment arms. */
@ApplicationScoped
public class ArmRequestRepository implements PanacheRepositoryBase<ArmRequestEntity, Long> {
}
