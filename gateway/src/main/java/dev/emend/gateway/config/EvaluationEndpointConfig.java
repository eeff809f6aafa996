package dev.emend.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Where evaluation-service listens: {@code emend.evaluation.host/port}. */
@ConfigMapping(prefix = "emend.evaluation")
public interface EvaluationEndpointConfig {
    @WithDefault("localhost")
    String host();

    int port();
}
