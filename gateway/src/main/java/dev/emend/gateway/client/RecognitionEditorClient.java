package dev.emend.gateway.client;

import jakarta.enterprise.context.ApplicationScoped;

/** The recognition phase service's Editor (its own circuit breakers). */
@ApplicationScoped
public class RecognitionEditorClient extends EditorClient {
    @Override
    public PhaseName phase() {
        return PhaseName.RECOGNITION;
    }
}
