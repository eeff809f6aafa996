package dev.emend.gateway.security;

import dev.emend.gateway.config.GatewayConfig;
import dev.emend.gateway.rest.ProblemException;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

/**
 * Refuses a body over {@code emend.gateway.limits.max-body-bytes} before it is read, with a 413
 * problem+json. (Bodies without Content-Length are capped by quarkus.http.limits.max-body-size.)
 */
@Provider
@PreMatching
public class BodyLimitFilter implements ContainerRequestFilter {
    @Inject
    Instance<GatewayConfig> config; // looked up per request: providers are created before runtime config exists

    @Override
    public void filter(ContainerRequestContext ctx) {
        int length = ctx.getLength();
        long max = config.get().limits().maxBodyBytes();
        if (length > max) {
            throw ProblemException.tooLarge(null, "The request body has " + length + " bytes; the limit is " + max
                    + ". Send fewer edit requests per call or shorter texts.");
        }
    }
}
