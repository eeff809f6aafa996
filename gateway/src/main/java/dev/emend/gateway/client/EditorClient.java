package dev.emend.gateway.client;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.CancelEditResponse;
import dev.emend.api.v1.EditProgress;
import dev.emend.api.v1.EditProgressRequest;
import dev.emend.api.v1.CreateSpaceRequest;
import dev.emend.api.v1.DeleteSpaceRequest;
import dev.emend.api.v1.DeleteSpaceResponse;
import dev.emend.api.v1.DescribeRequest;
import dev.emend.api.v1.DescribeResponse;
import dev.emend.api.v1.EditorGrpc;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.api.v1.GenerateResponse;
import dev.emend.api.v1.ListEditsRequest;
import dev.emend.api.v1.ListEditsResponse;
import dev.emend.api.v1.ListSpacesRequest;
import dev.emend.api.v1.ListSpacesResponse;
import dev.emend.api.v1.RollbackRequest;
import dev.emend.api.v1.RollbackResponse;
import dev.emend.api.v1.ScoreRequest;
import dev.emend.api.v1.ScoreResponse;
import dev.emend.api.v1.Space;
import io.grpc.StatusRuntimeException;
import jakarta.inject.Inject;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The gRPC {@code emend.v1.Editor} of one phase service behind fault tolerance. One subclass
 * bean per phase, so each phase has its own circuit breaker (SmallRye Fault Tolerance keys its
 * state by bean class and method): a phase that is down opens only its own breakers.
 *
 * <p>Timeouts: fast calls 30 s, edits 10 min (a ROME/MEMIT edit on a busy CPU takes minutes).
 * Retries only where a repeat cannot change anything (Describe, listings, Generate, Score), and
 * only on UNAVAILABLE. The breaker counts only unavailability and timeouts, never a refused
 * request (a 400 from a phase says nothing about its health). Callers use {@link Phases}, which
 * turns an open breaker or a timeout into a 503 naming the phase.
 */
public abstract class EditorClient {
    @Inject
    PhaseChannels channels;

    /** Which phase this bean talks to. */
    public abstract PhaseName phase();

    private <T> T call(long deadlineSeconds, Function<EditorGrpc.EditorBlockingStub, T> f) {
        try {
            return f.apply(EditorGrpc.newBlockingStub(channels.phase(phase())).withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS));
        } catch (StatusRuntimeException e) {
            throw PhaseRequestException.from(phase().id(), PhaseChannels.reconnectIfUnavailable(channels.phase(phase()), e));
        }
    }

    @Timeout(value = 10, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 2, delay = 200, retryOn = PhaseUnavailableException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public DescribeResponse describe() {
        return call(12, s -> s.describe(DescribeRequest.getDefaultInstance()));
    }

    @Timeout(value = 30, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 2, delay = 200, retryOn = PhaseUnavailableException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public ListSpacesResponse listSpaces() {
        return call(32, s -> s.listSpaces(ListSpacesRequest.getDefaultInstance()));
    }

    /** Not retried: a lost answer after success would make the retry fail with ALREADY_EXISTS. */
    @Timeout(value = 30, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public Space createSpace(CreateSpaceRequest r) {
        return call(32, s -> s.createSpace(r));
    }

    @Timeout(value = 60, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public DeleteSpaceResponse deleteSpace(DeleteSpaceRequest r) {
        return call(62, s -> s.deleteSpace(r));
    }

    /** Not retried here: the client's Idempotency-Key makes its own retry safe. */
    @Timeout(value = 600, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public ApplyEditsResponse applyEdits(ApplyEditsRequest r) {
        return call(605, s -> s.applyEdits(r));
    }

    /**
     * An edit run as an operation: no deadline and no breaker (it may compute for an hour; the
     * operation's cancel stops it, and the runner re-sends it with the same key if the phase or the
     * gateway restarts).
     */
    public ApplyEditsResponse applyEditsUnbounded(ApplyEditsRequest r) {
        return unbounded(s -> s.applyEdits(r));
    }

    /** A training run as an operation: no deadline and no breaker, as {@link #applyEditsUnbounded}. */
    public dev.emend.api.v1.TrainMethodResponse trainMethodUnbounded(dev.emend.api.v1.TrainMethodRequest r) {
        return unbounded(s -> s.trainMethod(r));
    }

    /** A training request checked by its phase (validate_only) before it is accepted. */
    @Timeout(value = 30, unit = ChronoUnit.SECONDS)
    public dev.emend.api.v1.TrainMethodResponse checkTraining(dev.emend.api.v1.TrainMethodRequest r) {
        return call(32, s -> s.trainMethod(r.toBuilder().setValidateOnly(true).build()));
    }

    private <T> T unbounded(Function<EditorGrpc.EditorBlockingStub, T> f) {
        try {
            return f.apply(EditorGrpc.newBlockingStub(channels.phase(phase())));
        } catch (StatusRuntimeException e) {
            throw PhaseRequestException.from(phase().id(), PhaseChannels.reconnectIfUnavailable(channels.phase(phase()), e));
        }
    }

    @Timeout(value = 10, unit = ChronoUnit.SECONDS)
    public EditProgress editProgress(EditProgressRequest r) {
        return call(12, s -> s.getEditProgress(r));
    }

    @Timeout(value = 10, unit = ChronoUnit.SECONDS)
    public CancelEditResponse cancelEdit(EditProgressRequest r) {
        return call(12, s -> s.cancelEdit(r));
    }

    @Timeout(value = 600, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public RollbackResponse rollback(RollbackRequest r) {
        return call(605, s -> s.rollback(r));
    }

    @Timeout(value = 30, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 2, delay = 200, retryOn = PhaseUnavailableException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public ListEditsResponse listEdits(ListEditsRequest r) {
        return call(32, s -> s.listEdits(r));
    }

    @Timeout(value = 60, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 2, delay = 200, retryOn = PhaseUnavailableException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public GenerateResponse generate(GenerateRequest r) {
        return call(62, s -> s.generate(r));
    }

    @Timeout(value = 60, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 2, delay = 200, retryOn = PhaseUnavailableException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 5000, successThreshold = 1,
            failOn = {PhaseUnavailableException.class, TimeoutException.class})
    public ScoreResponse score(ScoreRequest r) {
        return call(62, s -> s.score(r));
    }
}
