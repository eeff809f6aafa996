package dev.emend.phase.grpc;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.CreateSpaceRequest;
import dev.emend.api.v1.DeleteSpaceRequest;
import dev.emend.api.v1.DeleteSpaceResponse;
import dev.emend.api.v1.DescribeRequest;
import dev.emend.api.v1.DescribeResponse;
import dev.emend.api.v1.EditRecord;
import dev.emend.api.v1.EditStatus;
import dev.emend.api.v1.EditorGrpc;
import dev.emend.api.v1.FinishReason;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.api.v1.GenerateResponse;
import dev.emend.api.v1.HparamSpec;
import dev.emend.api.v1.HparamType;
import dev.emend.api.v1.ListEditsRequest;
import dev.emend.api.v1.ListEditsResponse;
import dev.emend.api.v1.ListSpacesRequest;
import dev.emend.api.v1.ListSpacesResponse;
import dev.emend.api.v1.MethodInfo;
import dev.emend.api.v1.ModelInfo;
import dev.emend.api.v1.ModelVersion;
import dev.emend.api.v1.RollbackKind;
import dev.emend.api.v1.RollbackRequest;
import dev.emend.api.v1.RollbackResponse;
import dev.emend.api.v1.ScoreBatchRequest;
import dev.emend.api.v1.ScoreBatchResponse;
import dev.emend.api.v1.ScoreRequest;
import dev.emend.api.v1.ScoreResponse;
import dev.emend.api.v1.Space;
import dev.emend.api.v1.Timings;
import dev.emend.api.v1.TokenScore;
import dev.emend.core.edit.Answer;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.model.ContextLengthException;
import dev.emend.core.runtime.Generation;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ScoreItem;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.phase.config.PhaseConfig;
import dev.emend.phase.entity.EditEntity;
import dev.emend.phase.mapping.ProtoMapping;
import dev.emend.phase.repository.LedgerRepository;
import dev.emend.phase.service.EditService;
import dev.emend.phase.service.SpaceRegistry;
import dev.emend.phase.service.SpaceRuntime;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.logging.Log;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * emend.v1.Editor for whichever phase engine this service carries. Maps messages, enforces the
 * status-code conventions of editor.proto, and delegates to {@link SpaceRegistry} (spaces, reads)
 * and {@link EditService} (apply, rollback).
 */
@GrpcService
@Blocking
public class EditorGrpcService extends EditorGrpc.EditorImplBase {
    private static final int DEFAULT_NEW_TOKENS = 32;
    private static final SecureRandom SEEDS = new SecureRandom();

    @Inject
    SpaceRegistry registry;
    @Inject
    EditService edits;
    @Inject
    dev.emend.phase.service.TrainingService training;
    @Inject
    LedgerRepository ledger;
    @Inject
    PhaseConfig config;

    @Override
    public void describe(DescribeRequest request, StreamObserver<DescribeResponse> out) {
        respond(out, () -> {
            LanguageModel lm = registry.engine().model();
            var c = lm.config();
            DescribeResponse.Builder b = DescribeResponse.newBuilder()
                    .setPhase(ProtoMapping.phase(registry.engine().phase()))
                    .setModel(ModelInfo.newBuilder().setFamily(lm.family().name()).setName(registry.engine().modelName())
                            .setFingerprint(lm.fingerprint()).setNumLayers(c.numLayers()).setContextLength(c.maxPositions())
                            .setHiddenSize(c.hiddenSize()).setIntermediateSize(c.intermediateSize())
                            .setVocabSize(c.vocabSize()).setDtype("float32"))
                    .setServiceVersion(config.serviceVersion());
            registry.engine().methods().forEach(m -> b.addMethods(methodInfo(m).toBuilder()
                    .setTrainable(training.isTrainable(m.name()))));
            return b.build();
        });
    }

    static MethodInfo methodInfo(MethodDescriptor m) {
        MethodInfo.Builder b = MethodInfo.newBuilder().setName(m.name()).setDescription(m.description())
                .setMaxBatchSize(m.maxBatchSize()).setExactRollback(m.exactRollback()).setHparamsSource(m.hparamsSource());
        m.modes().stream().sorted().forEach(mode -> b.addSupportedModes(ProtoMapping.mode(mode)));
        for (dev.emend.core.edit.HparamSpec h : m.hparams()) {
            HparamSpec.Builder hb = HparamSpec.newBuilder().setName(h.name()).setType(HparamType.valueOf("HPARAM_TYPE_" + h.type().name()))
                    .setDefaultValue(ProtoMapping.value(h.defaultValue())).addAllAllowedValues(h.allowedValues())
                    .setDescription(h.description());
            if (h.min() != null) {
                hb.setMin(h.min());
            }
            if (h.max() != null) {
                hb.setMax(h.max());
            }
            b.addHparams(hb);
        }
        return b.build();
    }

    @Override
    public void createSpace(CreateSpaceRequest request, StreamObserver<Space> out) {
        respond(out, () -> space(registry.create(request.getName(), request.getDescription())));
    }

    @Override
    public void deleteSpace(DeleteSpaceRequest request, StreamObserver<DeleteSpaceResponse> out) {
        respond(out, () -> {
            registry.get(request.getName(), "name");
            long discarded = edits.queueDelete(request.getName());
            return DeleteSpaceResponse.newBuilder().setName(request.getName()).setEditsDiscarded(discarded).build();
        });
    }

    @Override
    public void listSpaces(ListSpacesRequest request, StreamObserver<ListSpacesResponse> out) {
        respond(out, () -> {
            ListSpacesResponse.Builder b = ListSpacesResponse.newBuilder();
            registry.all().forEach(s -> b.addSpaces(space(s)));
            return b.build();
        });
    }

    private Space space(SpaceRuntime s) {
        long live = s.readOnly() ? 0 : s.liveUnits().stream().mapToLong(u -> u.unit().editIds().size()).sum();
        return Space.newBuilder().setName(s.name()).setPhase(ProtoMapping.phase(registry.engine().phase()))
                .setDescription(s.description()).setModelVersion(version(s.name(), s.sequence())).setLiveEdits(live)
                .setReadOnly(s.readOnly()).setCreatedAt(ProtoMapping.timestamp(s.createdAt()))
                .setUpdatedAt(ProtoMapping.timestamp(s.updatedAt())).build();
    }

    private ModelVersion version(String space, long sequence) {
        return ModelVersion.newBuilder().setSpace(space).setSequence(sequence)
                .setBaseFingerprint(registry.engine().model().fingerprint()).build();
    }

    @Override
    public void applyEdits(ApplyEditsRequest request, StreamObserver<ApplyEditsResponse> out) {
        respond(out, () -> {
            EditService.Applied a = edits.apply(request);
            ApplyEditsResponse.Builder b = ApplyEditsResponse.newBuilder()
                    .setPhase(ProtoMapping.phase(registry.engine().phase())).setSpace(a.space().name())
                    .setModelVersion(version(a.space().name(), a.sequence())).setMethod(a.method().name())
                    .setEffectiveHparams(ProtoMapping.struct(a.hparams().asMap()))
                    .setTimings(Timings.newBuilder().setQueueMs(a.queueMs()).setComputeMs(a.computeMs())
                            .setCommitMs(a.commitMs()).setTotalMs(a.totalMs()));
            for (String id : a.editIds()) {
                ledger.edit(a.space().name(), id).ifPresent(e -> b.addEdits(record(e)));
            }
            return b.build();
        });
    }

    @Override
    public void getEditProgress(dev.emend.api.v1.EditProgressRequest request,
                                StreamObserver<dev.emend.api.v1.EditProgress> out) {
        respond(out, () -> request.getMethod().isEmpty() ? edits.progress(request.getSpace(), request.getIdempotencyKey())
                : training.progress(request.getMethod(), request.getIdempotencyKey()));
    }

    @Override
    public void cancelEdit(dev.emend.api.v1.EditProgressRequest request,
                           StreamObserver<dev.emend.api.v1.CancelEditResponse> out) {
        respond(out, () -> request.getMethod().isEmpty() ? edits.cancel(request.getSpace(), request.getIdempotencyKey())
                : training.cancel(request.getMethod(), request.getIdempotencyKey()));
    }

    @Override
    public void trainMethod(dev.emend.api.v1.TrainMethodRequest request,
                            StreamObserver<dev.emend.api.v1.TrainMethodResponse> out) {
        respond(out, () -> training.train(request));
    }

    private EditRecord record(EditEntity e) {
        LedgerRepository.StoredUnit unit = null;
        EditRecord.Builder b = EditRecord.newBuilder().setId(e.id).setSequence(e.sequence).setSpace(e.space)
                .setPhase(ProtoMapping.phase(registry.engine().phase()))
                .setRequest(ProtoMapping.requestFromJson(e.request)).setBatchId(e.unitId)
                .setStatus(EditStatus.valueOf("EDIT_STATUS_" + e.status))
                .setSupersededBy(e.supersededBy == null ? "" : e.supersededBy)
                .setRolledBackAtSequence(e.rolledBackAtSequence).setCommittedAt(ProtoMapping.timestamp(e.committedAt))
                .setCaseId(e.caseId == null ? "" : e.caseId);
        var u = dev.emend.phase.entity.EditUnitEntity.<dev.emend.phase.entity.EditUnitEntity>findByIdOptional(e.unitId);
        u.ifPresent(unitRow -> {
            b.setMethod(unitRow.method);
            b.setMode(dev.emend.api.v1.EditMode.valueOf("EDIT_MODE_" + unitRow.mode));
            b.setHparams(ProtoMapping.struct(ProtoMapping.jsonMap(unitRow.hparams)));
        });
        Map<String, Double> t = ProtoMapping.jsonDoubles(e.timings);
        b.setTimings(Timings.newBuilder().setQueueMs(t.getOrDefault("queue_ms", 0.0))
                .setComputeMs(t.getOrDefault("compute_ms", 0.0)));
        ProtoMapping.jsonNotes(e.notes).forEach(n -> b.addNotes(ProtoMapping.note(n)));
        b.putAllDiagnostics(ProtoMapping.jsonDoubles(e.diagnostics));
        return b.build();
    }

    @Override
    public void rollback(RollbackRequest request, StreamObserver<RollbackResponse> out) {
        respond(out, () -> {
            EditService.RolledBack r = edits.rollback(request.getSpace(), request.getEditId(), request.getIdempotencyKey());
            RollbackResponse.Builder b = RollbackResponse.newBuilder()
                    .setPhase(ProtoMapping.phase(registry.engine().phase())).setSpace(r.space().name())
                    .setModelVersion(version(r.space().name(), r.sequence()))
                    .setKind(r.exact() ? RollbackKind.ROLLBACK_KIND_EXACT : RollbackKind.ROLLBACK_KIND_APPROXIMATE)
                    .setReason(r.reason()).addAllDependentEditIds(r.dependents())
                    .addAllReactivatedEditIds(r.reactivated());
            ledger.edit(r.space().name(), r.editId()).ifPresent(e -> b.setEdit(record(e)));
            return b.build();
        });
    }

    @Override
    public void listEdits(ListEditsRequest request, StreamObserver<ListEditsResponse> out) {
        respond(out, () -> {
            SpaceRuntime s = registry.get(request.getSpace(), "space");
            int offset = 0;
            if (!request.getPageToken().isEmpty()) {
                try {
                    offset = Integer.parseInt(request.getPageToken());
                } catch (NumberFormatException e) {
                    throw EditException.invalid("page_token", "'" + request.getPageToken() + "' is not a page token from a previous ListEdits answer");
                }
            }
            int size = request.getPageSize() <= 0 ? 100 : Math.min(request.getPageSize(), 1000);
            String status = switch (request.getStatus()) {
                case EDIT_STATUS_LIVE -> EditEntity.LIVE;
                case EDIT_STATUS_SUPERSEDED -> EditEntity.SUPERSEDED;
                case EDIT_STATUS_ROLLED_BACK -> EditEntity.ROLLED_BACK;
                default -> null;
            };
            long sequence = s.sequence();
            List<EditEntity> rows = s.readOnly() ? List.of() : ledger.edits(s.name(), status, offset, size + 1);
            ListEditsResponse.Builder b = ListEditsResponse.newBuilder().setModelVersion(version(s.name(), sequence));
            rows.stream().limit(size).forEach(e -> b.addEdits(record(e)));
            if (rows.size() > size) {
                b.setNextPageToken(Integer.toString(offset + size));
            }
            return b.build();
        });
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
        respond(out, () -> {
            SpaceRuntime s = registry.get(request.getSpace(), "space");
            if (request.getPrompt().isEmpty()) {
                throw EditException.invalid("prompt", "the prompt is empty");
            }
            if (request.getMaxNewTokens() < 0) {
                throw EditException.invalid("max_new_tokens", "must be >= 0 (0 = " + DEFAULT_NEW_TOKENS + ")");
            }
            if (request.getMaxTotalTokens() < 0) {
                throw EditException.invalid("max_total_tokens", "must be >= 0 (0 = no limit)");
            }
            float temperature = request.hasTemperature() ? request.getTemperature() : 0f;
            int topK = request.hasTopK() ? request.getTopK() : 0;
            float topP = request.hasTopP() ? request.getTopP() : 1f;
            if (temperature < 0 || Float.isNaN(temperature)) {
                throw EditException.invalid("temperature", "must be >= 0 (0 = greedy)");
            }
            if (topK < 0) {
                throw EditException.invalid("top_k", "must be >= 0 (0 = no limit)");
            }
            if (!(topP > 0 && topP <= 1)) {
                throw EditException.invalid("top_p", "must be in (0, 1]");
            }
            if ((topK > 0 || request.hasTopP()) && temperature == 0f) {
                temperature = 1f; // sampling asked for without a temperature: sample at 1
            }
            long seed = request.hasSeed() ? request.getSeed() : SEEDS.nextLong();
            LanguageModel lm = registry.engine().model();
            int newTokens = request.getMaxNewTokens() == 0 ? DEFAULT_NEW_TOKENS : request.getMaxNewTokens();
            if (request.getMaxTotalTokens() > 0) {
                int promptTokens = lm.encodePrompt(request.getPrompt()).length;
                newTokens = Math.min(newTokens, Math.max(1, request.getMaxTotalTokens() - promptTokens));
            }
            GenerationOptions options = new GenerationOptions(newTokens, temperature, topK, topP, seed, List.of(),
                    request.getStopList(), true, true);
            SpaceRuntime.Versioned<Answer<Generation>> v = s.read(state -> state.generate(request.getPrompt(), options));
            Generation g = v.value().value();
            FinishReason reason = switch (g.stopReason()) {
                case "stop_token" -> FinishReason.FINISH_REASON_END_OF_TEXT;
                case "stop_string" -> FinishReason.FINISH_REASON_STOP;
                case "context_full" -> FinishReason.FINISH_REASON_CONTEXT_FULL;
                default -> FinishReason.FINISH_REASON_LENGTH;
            };
            GenerateResponse.Builder b = GenerateResponse.newBuilder().setText(g.text()).setPromptUsed(v.value().promptUsed())
                    .setPromptTokens(v.value().promptTokens()).setFinishReason(reason)
                    .setPhase(ProtoMapping.phase(registry.engine().phase())).setSpace(s.name())
                    .setModelVersion(version(s.name(), v.sequence())).addAllMatchedEditIds(v.value().matchedEditIds())
                    .setSeed(seed);
            for (int id : g.tokenIds()) {
                b.addTokenIds(id);
            }
            v.value().notes().forEach(n -> b.addNotes(ProtoMapping.note(n)));
            return b.build();
        });
    }

    @Override
    public void score(ScoreRequest request, StreamObserver<ScoreResponse> out) {
        respond(out, () -> {
            SpaceRuntime s = registry.get(request.getSpace(), "space");
            checkPair(request.getPrompt(), request.getTarget(), "");
            SpaceRuntime.Versioned<Answer<ScoreResult>> v = s.read(state -> state.score(request.getPrompt(), request.getTarget()));
            return ScoreResponse.newBuilder()
                    .setResult(scoreResult(request.getPrompt(), request.getTarget(), "", v.value(), false))
                    .setPhase(ProtoMapping.phase(registry.engine().phase())).setSpace(s.name())
                    .setModelVersion(version(s.name(), v.sequence())).build();
        });
    }

    @Override
    public void scoreBatch(ScoreBatchRequest request, StreamObserver<ScoreBatchResponse> out) {
        respond(out, () -> {
            SpaceRuntime s = registry.get(request.getSpace(), "space");
            if (request.getItemsCount() == 0) {
                throw EditException.invalid("items", "no items to score");
            }
            List<ScoreItem> items = new ArrayList<>();
            for (int i = 0; i < request.getItemsCount(); i++) {
                var it = request.getItems(i);
                checkPair(it.getPrompt(), it.getTarget(), "items[" + i + "].");
                items.add(new ScoreItem(it.getPrompt(), it.getTarget()));
            }
            SpaceRuntime.Versioned<List<Answer<ScoreResult>>> v;
            try {
                v = s.read(state -> state.scoreBatch(items));
            } catch (ContextLengthException e) {
                throw EditException.precondition("items", e.getMessage() + " (an item of the batch; score items one by one to find it)");
            }
            ScoreBatchResponse.Builder b = ScoreBatchResponse.newBuilder()
                    .setPhase(ProtoMapping.phase(registry.engine().phase())).setSpace(s.name())
                    .setModelVersion(version(s.name(), v.sequence()));
            for (int i = 0; i < items.size(); i++) {
                var it = request.getItems(i);
                b.addResults(scoreResult(it.getPrompt(), it.getTarget(), it.getKey(), v.value().get(i), request.getOmitPieces()));
            }
            return b.build();
        });
    }

    private static void checkPair(String prompt, String target, String prefix) {
        if (prompt.isEmpty()) {
            throw EditException.invalid(prefix + "prompt", "the prompt is empty");
        }
        if (target.isEmpty()) {
            throw EditException.invalid(prefix + "target", "the target is empty");
        }
    }

    private dev.emend.api.v1.ScoreResult scoreResult(String prompt, String target, String key, Answer<ScoreResult> a,
                                                     boolean omitPieces) {
        ScoreResult r = a.value();
        var tok = registry.engine().model().tokenizer();
        dev.emend.api.v1.ScoreResult.Builder b = dev.emend.api.v1.ScoreResult.newBuilder().setPrompt(prompt)
                .setTarget(target).setKey(key).setPromptUsed(a.promptUsed()).setPromptTokens(r.promptIds().length)
                .setTokenAccuracy(r.tokenAccuracy()).setSumLogProb(r.sumLogProb())
                .addAllMatchedEditIds(a.matchedEditIds());
        for (int i = 0; i < r.targetIds().length; i++) {
            TokenScore.Builder t = TokenScore.newBuilder().setIndex(i).setTargetId(r.targetIds()[i])
                    .setArgmaxId(r.argmaxIds()[i]).setLogProb(r.logProbs()[i]);
            if (!omitPieces) {
                t.setTargetPiece(tok.decode(new int[]{r.targetIds()[i]})).setArgmaxPiece(tok.decode(new int[]{r.argmaxIds()[i]}));
            }
            b.addTokens(t);
        }
        a.notes().forEach(n -> b.addNotes(ProtoMapping.note(n)));
        return b.build();
    }

    /** True when the failure is a lost or refused database connection (SQLState class 08, or 57P0x shutdown). */
    static boolean databaseUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P0"))) {
                return true;
            }
            if (t instanceof java.net.ConnectException || t.getClass().getName().endsWith("JDBCConnectionException")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** Runs a call and maps failures to the status codes of editor.proto. */
    private <T> void respond(StreamObserver<T> out, Supplier<T> call) {
        T value;
        try {
            value = call.get();
        } catch (EditException e) {
            out.onError(Status.fromCode(Status.Code.valueOf(e.reason().name())).withDescription(e.describe()).asRuntimeException());
            return;
        } catch (ContextLengthException e) {
            out.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (SpaceRuntime.SpaceGoneException e) {
            out.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            if (databaseUnreachable(e)) {
                Log.warnf("ledger database unreachable: %s", e.getMessage());
                out.onError(Status.UNAVAILABLE.withDescription("the ledger database is unreachable, so nothing was "
                        + "changed; reads of loaded spaces keep working; retry when it is back").asRuntimeException());
                return;
            }
            Log.error("Editor call failed", e);
            out.onError(Status.INTERNAL.withDescription(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    .asRuntimeException());
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }
}
