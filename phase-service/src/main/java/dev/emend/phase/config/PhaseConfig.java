package dev.emend.phase.config;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * Settings shared by every phase service. Plain properties rather than one {@code @ConfigMapping}
 * on {@code emend.*}: each service adds its own {@code emend.<phase>.*} keys, which a mapping of
 * the whole prefix would reject as unknown.
 */
@ApplicationScoped
public class PhaseConfig {
    /** Directory of a Hugging Face checkpoint (config.json, model.safetensors, tokenizer.json). */
    @ConfigProperty(name = "emend.model.path", defaultValue = "models/emend-facts")
    String modelPath;

    /** Human name of the checkpoint; defaults to the directory name. */
    @ConfigProperty(name = "emend.model.name")
    Optional<String> modelName;

    /** Most ApplyEdits/Rollback calls waiting in the queue; more are refused with UNAVAILABLE. */
    @ConfigProperty(name = "emend.edits.max-queued", defaultValue = "64")
    int maxQueued;

    /** Most requests in one ApplyEdits call. */
    @ConfigProperty(name = "emend.edits.max-requests", defaultValue = "10000")
    int maxRequests;

    /** Version reported by Describe. */
    @ConfigProperty(name = "emend.service-version", defaultValue = "0.1.0-SNAPSHOT")
    String serviceVersion;

    public String modelPath() {
        return modelPath;
    }

    public Optional<String> modelName() {
        return modelName;
    }

    public int maxQueued() {
        return maxQueued;
    }

    public int maxRequests() {
        return maxRequests;
    }

    public String serviceVersion() {
        return serviceVersion;
    }
}
