package dev.emend.core.edit;

/** The paper's three phases of learning; each is served by its own service. */
public enum Phase {
    /** Nothing in the model changes: the new fact is retrieved and put in the context. */
    RECOGNITION,
    /** A side memory or adapter next to frozen weights changes. */
    ASSOCIATION,
    /** The model's own weights change. */
    MASTERY
}
