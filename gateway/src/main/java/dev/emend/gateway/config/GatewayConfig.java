package dev.emend.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

/** The gateway's own settings: bootstrap key, request limits, rate limits and the edit queue. */
@ConfigMapping(prefix = "emend.gateway")
public interface GatewayConfig {
    /** Admin key created (hashed) at start when set; a secret, never logged. */
    Optional<String> bootstrapAdminKey();

    Limits limits();

    Rate rate();

    EditQueue editQueue();

    /** Size limits of one request. */
    interface Limits {
        @WithDefault("1048576")
        long maxBodyBytes();

        @WithDefault("64")
        int maxRequestsPerEdit();

        @WithDefault("2000")
        int maxPromptChars();

        @WithDefault("256")
        int maxNewTokens();

        /** All request headers together (names and values); beyond it 431. */
        @WithDefault("16384")
        long maxHeaderBytes();
    }

    /** Default per-key token bucket. */
    interface Rate {
        @WithDefault("600")
        long requestsPerMinute();

        @WithDefault("100")
        long burst();
    }

    /** Bounded queue in front of the phase services' edit queues. */
    interface EditQueue {
        @WithDefault("2")
        int concurrent();

        @WithDefault("16")
        int waiting();
    }
}
