package dev.emend.mastery.grpc;

import dev.emend.api.v1.ModelVersion;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.TraceGrid;
import dev.emend.api.v1.TraceRequest;
import dev.emend.api.v1.TraceResponse;
import dev.emend.api.v1.TraceRow;
import dev.emend.api.v1.TracingGrpc;
import dev.emend.core.edit.EditException;
import dev.emend.core.model.ContextLengthException;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.trace.CausalTracer;
import dev.emend.core.trace.TraceNoise;
import dev.emend.core.trace.TraceResult;
import dev.emend.mastery.engine.MasteryState;
import dev.emend.phase.config.PhaseConfig;
import dev.emend.phase.service.SpaceRegistry;
import dev.emend.phase.service.SpaceRuntime;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.logging.Log;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * emend.v1.Tracing: causal tracing ({@link CausalTracer}) of a prompt on any mastery space. The
 * trace runs under the space's read lock on one consistent version (edits of that space wait for
 * it, a few seconds on the default model); the answer names that version.
 *
 * <p>Noise scale: 3 × the std of the token embeddings of the subjects in the model's
 * {@code facts.json} when the model directory has one (ROME's {@code collect_embedding_std} over
 * known facts), else 3 × the std of the whole token-embedding matrix.
 */
@GrpcService
@Blocking
public class TracingGrpcService extends TracingGrpc.TracingImplBase {
    static final int MAX_SAMPLES = 100;

    @Inject
    SpaceRegistry registry;
    @Inject
    PhaseConfig config;

    private volatile TraceNoise noise;

    TraceNoise noise() {
        TraceNoise n = noise;
        if (n == null) {
            synchronized (this) {
                if (noise == null) {
                    noise = TraceNoise.forModel(registry.engine().model(), modelDir(config.modelPath()));
                }
                n = noise;
            }
        }
        return n;
    }

    /** The model directory as the phase service resolves it: as given, else searched upwards. */
    static Path modelDir(String path) {
        Path p = Path.of(path);
        if (p.isAbsolute() || Files.isDirectory(p)) {
            return p.toAbsolutePath().normalize();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(p))) {
                return d.resolve(p).normalize();
            }
        }
        return null;
    }

    @Override
    public void trace(TraceRequest request, StreamObserver<TraceResponse> out) {
        try {
            out.onNext(traceOrThrow(request));
            out.onCompleted();
        } catch (EditException e) {
            out.onError(Status.fromCode(Status.Code.valueOf(e.reason().name())).withDescription(e.describe()).asRuntimeException());
        } catch (ContextLengthException e) {
            out.onError(Status.FAILED_PRECONDITION.withDescription("prompt: " + e.getMessage()).asRuntimeException());
        } catch (SpaceRuntime.SpaceGoneException e) {
            out.onError(Status.NOT_FOUND.withDescription("space: " + e.getMessage()).asRuntimeException());
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
            Log.error("Trace failed", e);
            out.onError(Status.INTERNAL.withDescription(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    .asRuntimeException());
        }
    }

    TraceResponse traceOrThrow(TraceRequest request) {
        SpaceRuntime space = registry.get(request.getSpace(), "space");
        LanguageModel lm = registry.engine().model();
        int layers = lm.config().numLayers();
        String prompt = request.getPrompt();
        String subject = request.getSubject();
        if (prompt.isBlank()) {
            throw EditException.invalid("prompt", "the prompt is empty; give the text whose next token is traced, "
                    + "e.g. \"The capital of France is\"");
        }
        if (subject.isBlank()) {
            throw EditException.invalid("subject", "the subject is empty; give the part of the prompt to corrupt, e.g. \"France\"");
        }
        if (!prompt.contains(subject)) {
            throw EditException.invalid("subject", "'" + subject + "' does not occur in the prompt '" + prompt
                    + "'; the subject must be an exact substring of it (case and spaces included)");
        }
        String target = request.hasTarget() ? request.getTarget() : null;
        if (target != null) {
            String t = prompt.endsWith(" ") ? target.strip() : " " + target.strip();
            if (target.isBlank() || lm.tokenizer().encode(t).length == 0) {
                throw EditException.invalid("target", "the target '" + target + "' tokenizes to nothing; give a "
                        + "non-empty answer, or leave target unset to trace the model's own prediction");
            }
        }
        int samples = request.getSamples() == 0 ? 10 : request.getSamples();
        if (samples < 1 || samples > MAX_SAMPLES) {
            throw EditException.invalid("samples", "samples must be 1-" + MAX_SAMPLES + " (0 = default 10), got "
                    + request.getSamples());
        }
        int window = request.getWindow() == 0 ? CausalTracer.defaultWindow(layers) : request.getWindow();
        if (window < 1 || window > layers) {
            throw EditException.invalid("window", "window must be 1-" + layers + " layers (0 = default "
                    + CausalTracer.defaultWindow(layers) + "), got " + request.getWindow());
        }
        TraceNoise n = noise();
        CausalTracer tracer = new CausalTracer(lm, samples, 3.0, 1L, window).withEmbeddingStd(n.std());
        SpaceRuntime.Versioned<TraceResult> v = space.read(state -> {
            if (!(state instanceof MasteryState ms)) {
                throw new IllegalStateException("space '" + space.name() + "' is not a mastery space");
            }
            return tracer.trace(ms.view(), prompt, subject, target);
        });
        TraceResult r = v.value();
        TraceResponse.Builder b = TraceResponse.newBuilder().setPhase(Phase.PHASE_MASTERY).setSpace(space.name())
                .setModelVersion(ModelVersion.newBuilder().setSpace(space.name()).setSequence(v.sequence())
                        .setBaseFingerprint(lm.fingerprint()))
                .addAllTokens(r.tokens()).setSubjectStart(r.subjectStart()).setSubjectEnd(r.subjectEnd())
                .setAnswer(r.answer()).setAnswerId(r.answerId()).setPClean(r.pClean()).setPCorrupted(r.pCorrupt())
                .setBlock(grid(r.block())).setMlp(grid(r.mlp())).setAttention(grid(r.attention()))
                .setSamples(r.samples()).setWindow(r.window()).setNoiseStd(r.noiseStd()).setNoiseSource(n.source())
                .setTraceMs(r.millis());
        for (int l = 0; l < layers; l++) {
            b.addLayers(l);
        }
        return b.build();
    }

    private static TraceGrid grid(float[][] g) {
        TraceGrid.Builder b = TraceGrid.newBuilder();
        for (int l = 0; l < g.length; l++) {
            TraceRow.Builder row = TraceRow.newBuilder().setLayer(l);
            for (float v : g[l]) {
                row.addValues(v);
            }
            b.addRows(row);
        }
        return b.build();
    }
}
