package dev.emend.evaluation.grpc;

import dev.emend.api.v1.EvaluateEvent;
import dev.emend.api.v1.EvaluationGrpc;
import dev.emend.api.v1.GetRunRequest;
import dev.emend.api.v1.ListRunsRequest;
import dev.emend.api.v1.ListRunsResponse;
import dev.emend.api.v1.Progress;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.RunStatus;
import dev.emend.evaluation.service.RunListener;
import dev.emend.evaluation.service.RunRejected;
import dev.emend.evaluation.service.RunService;
import dev.emend.evaluation.service.RunStore;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** emend.v1.Evaluation: maps requests to {@link RunService} and errors to the status codes of evaluation.proto. */
@GrpcService
@Blocking
public class EvaluationGrpcService extends EvaluationGrpc.EvaluationImplBase {
    private static final Logger LOG = Logger.getLogger(EvaluationGrpcService.class);
    private static final int DEFAULT_PAGE = 50;
    private static final int MAX_PAGE = 500;
    private static final ScheduledExecutorService HEARTBEATS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "evaluation-heartbeat");
        t.setDaemon(true);
        return t;
    });

    @Inject
    RunService runs;
    @Inject
    RunStore store;
    @ConfigProperty(name = "emend.evaluation.heartbeat-seconds")
    int heartbeatSeconds;

    @Override
    public void startRun(RunRequest request, StreamObserver<Run> out) {
        try {
            out.onNext(runs.start(request, null));
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    @Override
    public void evaluate(RunRequest request, StreamObserver<EvaluateEvent> raw) {
        ServerCallStreamObserver<EvaluateEvent> out = (ServerCallStreamObserver<EvaluateEvent>) raw;
        AtomicBoolean closed = new AtomicBoolean();
        AtomicReference<Progress> last = new AtomicReference<>();
        AtomicReference<ScheduledFuture<?>> heartbeat = new AtomicReference<>();
        RunListener listener = new RunListener() {
            @Override
            public void progress(String id, Progress p) {
                last.set(p);
                send(EvaluateEvent.newBuilder().setRunId(id).setProgress(p).build());
            }

            @Override
            public void finished(Run run) {
                send(EvaluateEvent.newBuilder().setRunId(run.getId()).setResult(run).build());
                synchronized (out) {
                    if (closed.compareAndSet(false, true) && !out.isCancelled()) {
                        out.onCompleted();
                    }
                }
                ScheduledFuture<?> h = heartbeat.get();
                if (h != null) {
                    h.cancel(false);
                }
            }

            private void send(EvaluateEvent e) {
                synchronized (out) {
                    if (closed.get() || out.isCancelled()) {
                        return;
                    }
                    try {
                        out.onNext(e);
                    } catch (RuntimeException x) {
                        // The client went away; the run goes on (GetRun reads it).
                        closed.set(true);
                    }
                }
            }
        };
        Run queued;
        try {
            queued = runs.start(request, listener);
        } catch (RuntimeException e) {
            out.onError(status(e));
            return;
        }
        out.setOnCancelHandler(() -> {
            closed.set(true);
            runs.removeListener(queued.getId(), listener);
            ScheduledFuture<?> h = heartbeat.get();
            if (h != null) {
                h.cancel(false);
            }
        });
        // The first event carries the run id.
        listener.progress(queued.getId(), last.get() != null ? last.get() : queued.getProgress().toBuilder().setStage("queued").build());
        heartbeat.set(HEARTBEATS.scheduleAtFixedRate(() -> {
            Progress p = runs.progress(queued.getId());
            if (p != null && !closed.get()) {
                // Refresh elapsed time between cases.
                listener.progress(queued.getId(), p);
            }
        }, heartbeatSeconds, heartbeatSeconds, TimeUnit.SECONDS));
    }

    @Override
    public void getRun(GetRunRequest request, StreamObserver<Run> out) {
        try {
            if (request.getRunId().isBlank()) {
                throw RunRejected.invalid("run_id", "required");
            }
            Run run = store.run(request.getRunId(), request.getIncludeCases());
            if (run == null) {
                throw new RunRejected(Status.Code.NOT_FOUND, "run_id: no run '" + request.getRunId() + "' (ListRuns shows the runs)");
            }
            Progress live = runs.progress(run.getId());
            if (live != null) {
                run = run.toBuilder().setProgress(live).build();
            }
            out.onNext(run);
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    @Override
    public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> out) {
        try {
            if (request.getPageSize() < 0) {
                throw RunRejected.invalid("page_size", "must be >= 0 (0 = " + DEFAULT_PAGE + ")");
            }
            if (request.getStatus() == RunStatus.UNRECOGNIZED) {
                throw RunRejected.invalid("status", "unknown status");
            }
            int offset = 0;
            if (!request.getPageToken().isEmpty()) {
                try {
                    offset = Integer.parseInt(request.getPageToken());
                } catch (NumberFormatException e) {
                    offset = -1;
                }
                if (offset < 0) {
                    throw RunRejected.invalid("page_token", "'" + request.getPageToken() + "' is not a token from a previous ListRuns answer");
                }
            }
            int size = request.getPageSize() == 0 ? DEFAULT_PAGE : Math.min(MAX_PAGE, request.getPageSize());
            out.onNext(store.list(request.getStatus(), size, offset));
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    private static StatusRuntimeException status(RuntimeException e) {
        if (e instanceof RunRejected r) {
            return Status.fromCode(r.code()).withDescription(r.getMessage()).asRuntimeException();
        }
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        LOG.error("Evaluation call failed", e);
        return Status.INTERNAL.withDescription("evaluation-service: " + e + " (see its log)").asRuntimeException();
    }
}
