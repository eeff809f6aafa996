package dev.emend.gateway.security;

import dev.emend.gateway.rest.ProblemException;
import dev.emend.gateway.service.ApiKeyService;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Authenticates every /v1 request by its API key ({@code Authorization: Bearer <key>} or
 * {@code X-API-Key}), then takes a token from the key's rate limit. The key never appears in a
 * log line or an error message.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class ApiKeyFilter implements ContainerRequestFilter {
    @Inject
    ApiKeyService keys;
    @Inject
    Caller caller;
    @Inject
    RateLimiter rateLimiter;

    @Override
    public void filter(ContainerRequestContext ctx) {
        String path = ctx.getUriInfo().getPath();
        if (!path.startsWith("/v1")) {
            return;
        }
        String key = ctx.getHeaderString("X-API-Key");
        String auth = ctx.getHeaderString("Authorization");
        if (key == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            key = auth.substring(7).trim();
        }
        if (key == null || key.isBlank()) {
            throw ProblemException.unauthorized("No API key. Send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.");
        }
        if (key.length() > 200) {
            throw ProblemException.unauthorized("The API key is not valid. Check the key you send, or ask an admin for one.");
        }
        ApiKeyService.KeyInfo info = keys.authenticate(key)
                .orElseThrow(() -> ProblemException.unauthorized("The API key is not valid (unknown or revoked). "
                        + "Check the key you send, or ask an admin for a new one."));
        caller.set(info.id(), info.name(), info.role(), info.spaces());
        rateLimiter.acquire(info.id(), info.requestsPerMinute());
    }
}
