package dev.emend.gateway.client;

import jakarta.enterprise.context.ApplicationScoped;

/** The association phase service's Editor (its own circuit breakers). */
@ApplicationScoped
public class AssociationEditorClient extends EditorClient {
    @Override
    public PhaseName phase() {
        return PhaseName.ASSOCIATION;
    }
}
