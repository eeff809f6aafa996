package dev.emend.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Where the phase services listen (gRPC on their HTTP port): {@code emend.phases.<phase>.host/port}. */
@ConfigMapping(prefix = "emend.phases")
public interface EndpointsConfig {
    Endpoint recognition();

    Endpoint association();

    Endpoint mastery();

    /** A host and port. */
    interface Endpoint {
        @WithDefault("localhost")
        String host();

        int port();
    }
}
