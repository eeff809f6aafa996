package dev.emend.gateway.service;

import dev.emend.gateway.config.GatewayConfig;
import dev.emend.gateway.entity.ApiKeyEntity;
import dev.emend.gateway.repository.ApiKeyRepository;
import dev.emend.gateway.rest.ProblemException;
import dev.emend.gateway.security.KeyHashing;
import dev.emend.gateway.security.RateLimiter;
import dev.emend.gateway.security.Role;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import org.jboss.logging.Logger;

import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * API keys: creation (the plaintext is returned once and never stored or logged), lookup by hash
 * with a short cache, revocation, and the bootstrap admin key from configuration.
 */
@ApplicationScoped
public class ApiKeyService {
    private static final Logger LOG = Logger.getLogger(ApiKeyService.class);
    public static final String BOOTSTRAP_ID = "bootstrap-admin";
    private static final long CACHE_NANOS = 10_000_000_000L;

    @Inject
    ApiKeyRepository keys;
    @Inject
    GatewayConfig config;
    @Inject
    RateLimiter rateLimiter;

    /** A key as the rest of the gateway sees it. */
    public record KeyInfo(String id, String name, Role role, Set<String> spaces, Long requestsPerMinute) {
    }

    private record Cached(Optional<KeyInfo> key, long at) {
    }

    private final Map<String, Cached> byHash = new ConcurrentHashMap<>();

    @Transactional
    void bootstrap(@Observes StartupEvent e) {
        Optional<String> key = config.bootstrapAdminKey().filter(k -> !k.isBlank());
        if (key.isEmpty()) {
            LOG.info("no bootstrap admin key configured (emend.gateway.bootstrap-admin-key); keys must already exist");
            return;
        }
        if (key.get().length() < 16) {
            throw new IllegalStateException("emend.gateway.bootstrap-admin-key must have at least 16 characters");
        }
        ApiKeyEntity k = keys.findById(BOOTSTRAP_ID);
        if (k == null) {
            k = new ApiKeyEntity();
            k.id = BOOTSTRAP_ID;
            k.name = "bootstrap admin";
            k.role = Role.ADMIN.id();
            k.spaces = "*";
            k.createdAt = OffsetDateTime.now();
            k.createdBy = "configuration";
            k.keyHash = KeyHashing.hash(key.get());
            keys.persist(k);
        } else {
            // The configured secret may have been rotated: the stored hash follows it.
            k.keyHash = KeyHashing.hash(key.get());
            k.revokedAt = null;
        }
        LOG.info("bootstrap admin key is active (id bootstrap-admin)");
    }

    /** The active key with this plaintext, or empty. */
    @Transactional
    public Optional<KeyInfo> authenticate(String plaintext) {
        String hash = KeyHashing.hash(plaintext);
        Cached c = byHash.get(hash);
        long now = System.nanoTime();
        if (c != null && now - c.at < CACHE_NANOS) {
            return c.key;
        }
        Optional<KeyInfo> info = keys.findActiveByHash(hash).map(ApiKeyService::info);
        byHash.put(hash, new Cached(info, now));
        return info;
    }

    public record CreatedKey(KeyInfo info, String key, OffsetDateTime createdAt) {
    }

    @Transactional
    public CreatedKey create(String name, Role role, List<String> spaces, Long requestsPerMinute, String createdBy) {
        if (name == null || name.isBlank() || name.length() > 200) {
            throw ProblemException.badRequest("name", "'name' is required (1-200 characters), e.g. \"ci-bot\".");
        }
        if (requestsPerMinute != null && (requestsPerMinute < 1 || requestsPerMinute > 1_000_000)) {
            throw ProblemException.badRequest("requests_per_minute", "'requests_per_minute' must be in [1, 1000000].");
        }
        Set<String> granted = new LinkedHashSet<>(spaces == null ? List.of() : spaces);
        for (String s : granted) {
            if (s == null || !(s.equals("*") || s.matches("[a-z0-9][a-z0-9_-]{0,62}"))) {
                throw ProblemException.badRequest("spaces", "'spaces' holds '" + s + "', which is not a space name ([a-z0-9_-], 1-63) or '*'.");
            }
        }
        String plaintext = KeyHashing.newKey();
        ApiKeyEntity k = new ApiKeyEntity();
        k.id = UUID.randomUUID().toString();
        k.name = name.trim();
        k.role = role.id();
        k.spaces = String.join(",", granted);
        k.requestsPerMinute = requestsPerMinute;
        k.createdBy = createdBy;
        k.createdAt = OffsetDateTime.now();
        k.keyHash = KeyHashing.hash(plaintext);
        keys.persist(k);
        return new CreatedKey(info(k), plaintext, k.createdAt);
    }

    @Transactional
    public List<ApiKeyEntity> list() {
        return keys.list("revokedAt is null order by createdAt");
    }

    @Transactional
    public void revoke(String id) {
        ApiKeyEntity k = keys.findById(id);
        if (k == null || k.revokedAt != null) {
            throw ProblemException.notFound("No active key with id '" + id + "'. List keys with GET /v1/keys.");
        }
        k.revokedAt = OffsetDateTime.now();
        byHash.remove(k.keyHash);
        rateLimiter.forget(id);
    }

    static KeyInfo info(ApiKeyEntity k) {
        Set<String> spaces = k.spaces == null || k.spaces.isBlank() ? Set.of()
                : Arrays.stream(k.spaces.split(",")).collect(Collectors.toUnmodifiableSet());
        return new KeyInfo(k.id, k.name, Role.parse(k.role, "role"), spaces, k.requestsPerMinute);
    }
}
