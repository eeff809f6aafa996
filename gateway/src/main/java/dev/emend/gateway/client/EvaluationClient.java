package dev.emend.gateway.client;

import dev.emend.api.v1.EvaluationGrpc;
import dev.emend.api.v1.GetRunRequest;
import dev.emend.api.v1.ListRunsRequest;
import dev.emend.api.v1.ListRunsResponse;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunRequest;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * evaluation-service's gRPC {@code emend.v1.Evaluation} behind fault tolerance. StartRun is not
 * retried (it would start a second run); reads are.
 */
@ApplicationScoped
public class EvaluationClient {
    static final String NAME = "evaluation";

    @Inject
    PhaseChannels channels;

    private EvaluationGrpc.EvaluationBlockingStub stub(long seconds) {
        return EvaluationGrpc.newBlockingStub(channels.evaluation()).withDeadlineAfter(seconds, TimeUnit.SECONDS);
    }

    private <T> T wrap(Supplier<T> s) {
        try {
            return s.get();
        } catch (StatusRuntimeException e) {
            throw PhaseRequestException.from(NAME, PhaseChannels.reconnectIfUnavailable(channels.evaluation(), e));
        }
    }

    @Timeout(value = 60, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public Run startRun(RunRequest r) {
        return wrap(() -> stub(62).startRun(r));
    }

    @Timeout(value = 30, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 2, delay = 200, retryOn = PhaseUnavailableException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public Run getRun(GetRunRequest r) {
        return wrap(() -> stub(32).getRun(r));
    }

    @Timeout(value = 30, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 2, delay = 200, retryOn = PhaseUnavailableException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public ListRunsResponse listRuns(ListRunsRequest r) {
        return wrap(() -> stub(32).listRuns(r));
    }

    /** Runs {@code call} on this bean, turning an open breaker or a timeout into a 503 for "evaluation". */
    public static <T> T guarded(Supplier<T> call) {
        try {
            return call.get();
        } catch (CircuitBreakerOpenException | TimeoutException e) {
            throw new PhaseUnavailableException(NAME, "evaluation-service is unavailable (" + e.getClass().getSimpleName()
                    + "). Retry in a few seconds or ask the operator to start it.", e);
        }
    }
}
