package dev.emend.gateway.client;

import dev.emend.gateway.config.EndpointsConfig;
import dev.emend.gateway.config.EvaluationEndpointConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One plaintext gRPC channel per remote service (the three phases and evaluation-service), created
 * on first use from {@code emend.phases.<phase>.host/port} and {@code emend.evaluation.host/port}.
 * A channel to a service that is down is cheap: calls fail fast with UNAVAILABLE.
 */
@ApplicationScoped
public class PhaseChannels {
    @Inject
    EndpointsConfig config;
    @Inject
    EvaluationEndpointConfig evaluationConfig;

    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    public ManagedChannel phase(PhaseName phase) {
        EndpointsConfig.Endpoint e = switch (phase) {
            case RECOGNITION -> config.recognition();
            case ASSOCIATION -> config.association();
            case MASTERY -> config.mastery();
        };
        return channels.computeIfAbsent(phase.id(), k -> open(e.host(), e.port()));
    }

    public ManagedChannel evaluation() {
        return channels.computeIfAbsent("evaluation", k -> open(evaluationConfig.host(), evaluationConfig.port()));
    }

    /** Where a service is configured, for messages. */
    public String address(PhaseName phase) {
        EndpointsConfig.Endpoint e = switch (phase) {
            case RECOGNITION -> config.recognition();
            case ASSOCIATION -> config.association();
            case MASTERY -> config.mastery();
        };
        return e.host() + ":" + e.port();
    }

    /**
     * After a call failed with UNAVAILABLE, asks the channel to reconnect now instead of at gRPC's
     * next reconnect-backoff attempt (1 s growing x1.6 up to 2 min), so a phase service that comes
     * back is reached within about a second rather than up to ~17 s later (measured, cli/README).
     * Returns {@code e} for the caller to map.
     */
    public static io.grpc.StatusRuntimeException reconnectIfUnavailable(ManagedChannel channel, io.grpc.StatusRuntimeException e) {
        if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE) {
            channel.resetConnectBackoff();
        }
        return e;
    }

    private static ManagedChannel open(String host, int port) {
        return ManagedChannelBuilder.forAddress(host, port).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    @PreDestroy
    void close() {
        channels.values().forEach(c -> {
            c.shutdownNow();
            try {
                c.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
