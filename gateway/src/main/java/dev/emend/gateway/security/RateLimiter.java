package dev.emend.gateway.security;

import dev.emend.gateway.config.GatewayConfig;
import dev.emend.gateway.rest.ProblemException;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-key token buckets (Bucket4j, in memory: one gateway replica enforces its own share).
 * Capacity = the burst, refilled greedily at the key's requests per minute.
 */
@ApplicationScoped
public class RateLimiter {
    @Inject
    GatewayConfig config;

    private record Limited(long perMinute, Bucket bucket) {
    }

    private final Map<String, Limited> buckets = new ConcurrentHashMap<>();

    /** Takes one token for {@code keyId} or throws 429 with Retry-After. */
    public void acquire(String keyId, Long keyPerMinute) {
        long perMinute = keyPerMinute != null ? keyPerMinute : config.rate().requestsPerMinute();
        Limited l = buckets.compute(keyId, (k, old) -> old != null && old.perMinute == perMinute ? old
                : new Limited(perMinute, Bucket.builder().addLimit(limit -> limit
                        .capacity(keyPerMinute != null ? Math.max(1, Math.min(perMinute, config.rate().burst())) : config.rate().burst())
                        .refillGreedy(perMinute, Duration.ofMinutes(1))).build()));
        ConsumptionProbe probe = l.bucket.tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            long seconds = (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L;
            throw ProblemException.tooMany("This key is limited to " + perMinute + " requests per minute. Wait "
                    + seconds + " s (Retry-After) or ask an admin for a higher limit.", seconds);
        }
    }

    /** Forgets a key's bucket (after revocation or a limit change). */
    public void forget(String keyId) {
        buckets.remove(keyId);
    }
}
