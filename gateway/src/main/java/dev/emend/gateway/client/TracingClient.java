package dev.emend.gateway.client;

import dev.emend.api.v1.TraceRequest;
import dev.emend.api.v1.TraceResponse;
import dev.emend.api.v1.TracingGrpc;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

/**
 * The mastery service's {@code emend.v1.Tracing} (causal tracing reads a model's weights, so only
 * the mastery phase offers it) behind a timeout and its own circuit breaker.
 */
@ApplicationScoped
public class TracingClient {
    @Inject
    PhaseChannels channels;

    @Timeout(value = 300, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    TraceResponse call(TraceRequest r) {
        try {
            return TracingGrpc.newBlockingStub(channels.phase(PhaseName.MASTERY)).withDeadlineAfter(305, TimeUnit.SECONDS).trace(r);
        } catch (StatusRuntimeException e) {
            throw PhaseRequestException.from(PhaseName.MASTERY.id(), PhaseChannels.reconnectIfUnavailable(channels.phase(PhaseName.MASTERY), e));
        }
    }

    /** Traces, turning an open breaker or a timeout into a 503 for the mastery phase. */
    public TraceResponse trace(TraceRequest r) {
        try {
            return call(r);
        } catch (CircuitBreakerOpenException | TimeoutException e) {
            throw new PhaseUnavailableException(PhaseName.MASTERY.id(), "The mastery phase service (" + channels.address(PhaseName.MASTERY)
                    + ") is not answering traces right now; retry in a few seconds.", e);
        }
    }
}
