package dev.emend.evaluation.client;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.CreateSpaceRequest;
import dev.emend.api.v1.DeleteSpaceRequest;
import dev.emend.api.v1.DescribeRequest;
import dev.emend.api.v1.DescribeResponse;
import dev.emend.api.v1.EditorGrpc;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.api.v1.GenerateResponse;
import dev.emend.api.v1.ListSpacesRequest;
import dev.emend.api.v1.ListSpacesResponse;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.RollbackRequest;
import dev.emend.api.v1.RollbackResponse;
import dev.emend.api.v1.ScoreBatchRequest;
import dev.emend.api.v1.ScoreBatchResponse;
import dev.emend.api.v1.Space;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.Retry;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The phase services' Editor APIs, one gRPC client per phase (quarkus.grpc.clients.{recognition,
 * association, mastery}, addressed by emend.phases.&lt;phase&gt;.host/port). Every call has a
 * deadline. Reads (Describe, ListSpaces, ScoreBatch, Generate with a seed) are idempotent and are
 * retried on transient failures; writes (CreateSpace, DeleteSpace, ApplyEdits, Rollback) are not.
 */
@ApplicationScoped
public class PhaseEditors {
    private static final Set<Status.Code> TRANSIENT = Set.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED,
            Status.Code.RESOURCE_EXHAUSTED, Status.Code.ABORTED);

    @GrpcClient("recognition")
    EditorGrpc.EditorBlockingStub recognition;
    @GrpcClient("association")
    EditorGrpc.EditorBlockingStub association;
    @GrpcClient("mastery")
    EditorGrpc.EditorBlockingStub mastery;

    @ConfigProperty(name = "emend.phases.read-timeout")
    Duration readTimeout;
    @ConfigProperty(name = "emend.phases.edit-timeout")
    Duration editTimeout;
    @ConfigProperty(name = "emend.phases.recognition.host")
    String recognitionHost;
    @ConfigProperty(name = "emend.phases.recognition.port")
    int recognitionPort;
    @ConfigProperty(name = "emend.phases.association.host")
    String associationHost;
    @ConfigProperty(name = "emend.phases.association.port")
    int associationPort;
    @ConfigProperty(name = "emend.phases.mastery.host")
    String masteryHost;
    @ConfigProperty(name = "emend.phases.mastery.port")
    int masteryPort;

    /** "mastery-service at localhost:8083", for messages. */
    public String address(Phase phase) {
        return switch (phase) {
            case PHASE_RECOGNITION -> "recognition-service at " + recognitionHost + ":" + recognitionPort;
            case PHASE_ASSOCIATION -> "association-service at " + associationHost + ":" + associationPort;
            case PHASE_MASTERY -> "mastery-service at " + masteryHost + ":" + masteryPort;
            default -> throw new IllegalArgumentException("no phase service for " + phase);
        };
    }

    private EditorGrpc.EditorBlockingStub stub(Phase phase, Duration deadline) {
        EditorGrpc.EditorBlockingStub s = switch (phase) {
            case PHASE_RECOGNITION -> recognition;
            case PHASE_ASSOCIATION -> association;
            case PHASE_MASTERY -> mastery;
            default -> throw new IllegalArgumentException("no phase service for " + phase);
        };
        return s.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    private <T> T read(Phase phase, String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            if (TRANSIENT.contains(e.getStatus().getCode())) {
                throw new TransientPhaseException(what + " on " + address(phase) + " failed: " + e.getStatus(), e);
            }
            throw e;
        }
    }

    @Retry(maxRetries = 3, delay = 500, jitter = 200, retryOn = TransientPhaseException.class)
    public DescribeResponse describe(Phase phase) {
        return read(phase, "Describe", () -> stub(phase, readTimeout).describe(DescribeRequest.getDefaultInstance()));
    }

    /** Describe without retries: for request validation, which must answer fast when a service is down. */
    public DescribeResponse describeOnce(Phase phase) {
        return stub(phase, Duration.ofSeconds(Math.min(30, readTimeout.toSeconds()))).describe(DescribeRequest.getDefaultInstance());
    }

    @Retry(maxRetries = 3, delay = 500, jitter = 200, retryOn = TransientPhaseException.class)
    public ListSpacesResponse listSpaces(Phase phase) {
        return read(phase, "ListSpaces", () -> stub(phase, readTimeout).listSpaces(ListSpacesRequest.getDefaultInstance()));
    }

    @Retry(maxRetries = 3, delay = 500, jitter = 200, retryOn = TransientPhaseException.class)
    public ScoreBatchResponse scoreBatch(Phase phase, ScoreBatchRequest request) {
        return read(phase, "ScoreBatch", () -> stub(phase, readTimeout).scoreBatch(request));
    }

    /** Generation; callers always pass a seed, so a retry gives the same answer. */
    @Retry(maxRetries = 3, delay = 500, jitter = 200, retryOn = TransientPhaseException.class)
    public GenerateResponse generate(Phase phase, GenerateRequest request) {
        return read(phase, "Generate", () -> stub(phase, readTimeout).generate(request));
    }

    public Space createSpace(Phase phase, String name, String description) {
        return stub(phase, readTimeout).createSpace(CreateSpaceRequest.newBuilder().setName(name).setDescription(description).build());
    }

    public void deleteSpace(Phase phase, String name) {
        stub(phase, editTimeout).deleteSpace(DeleteSpaceRequest.newBuilder().setName(name).build());
    }

    public ApplyEditsResponse applyEdits(Phase phase, ApplyEditsRequest request) {
        return stub(phase, editTimeout).applyEdits(request);
    }

    public RollbackResponse rollback(Phase phase, RollbackRequest request) {
        return stub(phase, editTimeout).rollback(request);
    }
}
