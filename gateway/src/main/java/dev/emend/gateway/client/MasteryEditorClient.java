package dev.emend.gateway.client;

import jakarta.enterprise.context.ApplicationScoped;

/** The mastery phase service's Editor (its own circuit breakers). */
@ApplicationScoped
public class MasteryEditorClient extends EditorClient {
    @Override
    public PhaseName phase() {
        return PhaseName.MASTERY;
    }
}
