package dev.emend.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Where the phase services and evaluation-service listen (gRPC on their HTTP port). */
@ConfigMapping(prefix = "emend")
public interface EndpointsConfig {
    Phases phases();

    Endpoint evaluation();

    /** One address per phase: {@code emend.phases.<phase>.host/port}. */
    interface Phases {
        Endpoint recognition();

        Endpoint association();

        Endpoint mastery();
    }

    /** A host and port. */
    interface Endpoint {
        @WithDefault("localhost")
        String host();

        int port();
    }
}
