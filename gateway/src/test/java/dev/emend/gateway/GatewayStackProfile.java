package dev.emend.gateway;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/**
 * The test profile of every gateway test that runs against {@link GatewayStack}: test classes with
 * the same profile share one gateway instance and one packaged mastery-service (Quarkus restarts
 * only when the profile changes), which saves a service start per class. Tests keep to their own
 * spaces, keys and experiments (random names), so sharing changes nothing they assert. The default
 * per-key rate limit is lifted for the shared admin key; the rate-limit test sets its own key's.
 */
public class GatewayStackProfile implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(GatewayStack.class));
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("emend.gateway.rate.requests-per-minute", "1000000", "emend.gateway.rate.burst", "100000");
    }
}
