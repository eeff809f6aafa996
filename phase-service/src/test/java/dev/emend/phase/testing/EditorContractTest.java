package dev.emend.phase.testing;

import com.google.protobuf.Struct;
import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.CreateSpaceRequest;
import dev.emend.api.v1.DeleteSpaceRequest;
import dev.emend.api.v1.DescribeRequest;
import dev.emend.api.v1.DescribeResponse;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EditProgress;
import dev.emend.api.v1.EditProgressRequest;
import dev.emend.api.v1.EditProgressState;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.EditStatus;
import dev.emend.api.v1.EditorGrpc;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.api.v1.GenerateResponse;
import dev.emend.api.v1.ListEditsRequest;
import dev.emend.api.v1.ListSpacesRequest;
import dev.emend.api.v1.RollbackKind;
import dev.emend.api.v1.RollbackRequest;
import dev.emend.api.v1.RollbackResponse;
import dev.emend.api.v1.ScoreBatchRequest;
import dev.emend.api.v1.ScoreItem;
import dev.emend.api.v1.ScoreRequest;
import dev.emend.api.v1.ScoreResult;
import dev.emend.phase.mapping.ProtoMapping;
import dev.emend.phase.service.EditQueue;
import dev.emend.phase.service.SpaceRegistry;
import dev.emend.phase.service.SpaceRuntime;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every phase's Editor service must show, run over real gRPC against the real
 * service, model and PostgreSQL. A phase's test extends it (annotated {@code @QuarkusTest} and
 * {@code @QuarkusTestResource(EmbeddedPostgresResource.class)}) and names a method and an edit
 * that method can make.
 */
public abstract class EditorContractTest {
    @Inject
    protected SpaceRegistry registry;
    @Inject
    protected DataSource dataSource;
    @Inject
    protected EditQueue queue;

    protected ManagedChannel channel;
    protected EditorGrpc.EditorBlockingStub editor;

    /** The method the contract exercises (a fast one). */
    protected abstract String method();

    /** Overrides that keep the contract fast. */
    protected Map<String, Object> hparams() {
        return Map.of();
    }

    /** A fact change the method can make on the served model. */
    protected EditRequest request() {
        return EditRequest.newBuilder().setPrompt("The capital of France is").setSubject("France")
                .setTargetNew("Berlin").addGroundTruth("Paris").build();
    }

    /** A prompt the edit must not touch, and its answer on the base model. */
    protected ScoreItem unrelated() {
        return ScoreItem.newBuilder().setPrompt("The capital of Japan is").setTarget("Tokyo").build();
    }

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        editor = EditorGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    protected String newSpace() {
        String name = "t-" + UUID.randomUUID().toString().substring(0, 8);
        editor.createSpace(CreateSpaceRequest.newBuilder().setName(name).setDescription("contract test").build());
        return name;
    }

    protected ApplyEditsRequest.Builder apply(String space, EditRequest... requests) {
        return ApplyEditsRequest.newBuilder().setSpace(space).setMethod(method())
                .setHparams(ProtoMapping.struct(hparams())).addAllRequests(List.of(requests));
    }

    protected ScoreResult score(String space, String prompt, String target) {
        return editor.score(ScoreRequest.newBuilder().setSpace(space).setPrompt(prompt).setTarget(target).build()).getResult();
    }

    protected static Status.Code code(Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertFalse(e.getStatus().getDescription() == null || e.getStatus().getDescription().isBlank(),
                "every error says what was wrong");
        return e.getStatus().getCode();
    }

    @Test
    void describeNamesThePhaseModelAndMethods() {
        DescribeResponse d = editor.describe(DescribeRequest.getDefaultInstance());
        assertTrue(d.getMethodsList().stream().anyMatch(m -> m.getName().equalsIgnoreCase(method())), d.toString());
        assertTrue(d.getModel().getNumLayers() > 0);
        assertFalse(d.getModel().getFingerprint().isBlank());
        d.getMethodsList().forEach(m -> assertFalse(m.getHparamsList().isEmpty(), m.getName() + " lists its hparams"));
    }

    @Test
    void editChangesItsSpaceNotBaseAndRollbackRestores() {
        String space = newSpace();
        EditRequest r = request();
        ScoreResult baseBefore = score("base", r.getPrompt(), r.getTargetNew());
        ScoreResult unrelatedBefore = score(space, unrelated().getPrompt(), unrelated().getTarget());

        ApplyEditsResponse applied = editor.applyEdits(apply(space, r).build());
        assertEquals(1, applied.getEditsCount());
        assertEquals(EditStatus.EDIT_STATUS_LIVE, applied.getEdits(0).getStatus());
        assertEquals(1, applied.getModelVersion().getSequence());
        assertEquals(space, applied.getModelVersion().getSpace());

        ScoreResult after = score(space, r.getPrompt(), r.getTargetNew());
        assertTrue(after.getSumLogProb() > baseBefore.getSumLogProb() + 1.0,
                "the edit raises log P(target_new): " + baseBefore.getSumLogProb() + " -> " + after.getSumLogProb());
        assertEquals(1.0, after.getTokenAccuracy(), "the edited prompt now gives the new target");
        assertEquals(baseBefore, score("base", r.getPrompt(), r.getTargetNew()), "base is untouched");
        ScoreResult unrelatedAfter = score(space, unrelated().getPrompt(), unrelated().getTarget());
        assertEquals(argmax(unrelatedBefore), argmax(unrelatedAfter), "an unrelated fact keeps its answer");

        GenerateResponse g = editor.generate(GenerateRequest.newBuilder().setSpace(space).setPrompt(r.getPrompt())
                .setMaxNewTokens(4).build());
        assertTrue(g.getText().startsWith(" " + r.getTargetNew()), "generation follows the edit: '" + g.getText() + "'");
        assertEquals(1, g.getModelVersion().getSequence());

        RollbackResponse rb = editor.rollback(RollbackRequest.newBuilder().setSpace(space)
                .setEditId(applied.getEdits(0).getId()).build());
        assertEquals(RollbackKind.ROLLBACK_KIND_EXACT, rb.getKind());
        assertEquals(2, rb.getModelVersion().getSequence());
        assertEquals(EditStatus.EDIT_STATUS_ROLLED_BACK, rb.getEdit().getStatus());
        ScoreResult restored = score(space, r.getPrompt(), r.getTargetNew());
        assertEquals(baseBefore.getTokensList(), restored.getTokensList(), "rollback restores the base answer exactly");
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> editor.rollback(RollbackRequest.newBuilder()
                .setSpace(space).setEditId(applied.getEdits(0).getId()).build())));
        assertEquals(1, editor.listEdits(ListEditsRequest.newBuilder().setSpace(space).build()).getEditsCount());
    }

    @Test
    void replayFromTheLedgerGivesTheSameAnswers() {
        String space = newSpace();
        EditRequest r = request();
        editor.applyEdits(apply(space, r).build());
        ScoreBatchRequest batch = ScoreBatchRequest.newBuilder().setSpace(space)
                .addItems(ScoreItem.newBuilder().setPrompt(r.getPrompt()).setTarget(r.getTargetNew()).setKey("edit"))
                .addItems(unrelated()).build();
        var before = editor.scoreBatch(batch);
        assertTrue(registry.refreshForced(space), "the space was rebuilt from its ledger");
        var after = editor.scoreBatch(batch);
        assertEquals(before.getResultsList(), after.getResultsList(), "replay(base, ledger) reproduces the state exactly");
        assertEquals(before.getModelVersion(), after.getModelVersion());
        assertEquals("edit", after.getResults(0).getKey());
    }

    @Test
    void badRequestsAreRefusedAndWriteNothing() {
        String space = newSpace();
        EditRequest r = request();
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> editor.applyEdits(apply("base", r).build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> editor.applyEdits(apply("no-such-space", r).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.applyEdits(apply(space, r).setMethod("NO-SUCH").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.applyEdits(apply(space, r.toBuilder().setTargetNew("").build()).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.applyEdits(apply(space, r.toBuilder().setPrompt(" ").build()).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.applyEdits(apply(space, r)
                .setHparams(ProtoMapping.struct(Map.of("no_such_hparam", 1))).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.applyEdits(apply(space).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.applyEdits(apply(space, r, r).build())));
        String longPrompt = "The capital of France is".repeat(200);
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> editor.applyEdits(apply(space,
                r.toBuilder().setPrompt(longPrompt).build()).build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> editor.rollback(RollbackRequest.newBuilder().setSpace(space)
                .setEditId("no-such-edit").build())));
        assertEquals(Status.Code.ALREADY_EXISTS, code(() -> editor.createSpace(CreateSpaceRequest.newBuilder().setName(space).build())));
        assertEquals(Status.Code.ALREADY_EXISTS, code(() -> editor.createSpace(CreateSpaceRequest.newBuilder().setName("base").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.createSpace(CreateSpaceRequest.newBuilder().setName("Bad Name!").build())));
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> editor.deleteSpace(DeleteSpaceRequest.newBuilder().setName("base").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.score(ScoreRequest.newBuilder().setSpace(space).setPrompt("x").build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> editor.score(ScoreRequest.newBuilder().setSpace("nope").setPrompt("x").setTarget("y").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.generate(GenerateRequest.newBuilder().setSpace(space)
                .setPrompt("x").setTopP(1.5f).build())));
        StatusRuntimeException nul = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(apply(space,
                r.toBuilder().setTargetNew("Ber\u0000lin").build()).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, nul.getStatus().getCode());
        assertTrue(nul.getStatus().getDescription().startsWith("requests[0].target_new: contains the NUL character"),
                nul.getStatus().getDescription());
        StatusRuntimeException bel = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(apply(space, r)
                .setHparams(struct(Map.of("note\u0007", 1))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bel.getStatus().getCode());
        assertTrue(bel.getStatus().getDescription().contains("control character U+0007"), bel.getStatus().getDescription());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.createSpace(CreateSpaceRequest.newBuilder()
                .setName(space + "-x").setDescription("esc \u001b[31m").build())));
        assertEquals(0, editor.listEdits(ListEditsRequest.newBuilder().setSpace(space).build()).getEditsCount(),
                "no refused request wrote anything");
        assertEquals(0, editor.listSpaces(ListSpacesRequest.getDefaultInstance()).getSpacesList().stream()
                .filter(s -> s.getName().equals(space)).findFirst().orElseThrow().getModelVersion().getSequence());
    }

    @Test
    void idempotencyKeysAndOptimisticConcurrency() {
        String space = newSpace();
        ApplyEditsRequest call = apply(space, request()).setIdempotencyKey("key-1").build();
        ApplyEditsResponse first = editor.applyEdits(call);
        ApplyEditsResponse retry = editor.applyEdits(call);
        assertEquals(first.getEdits(0).getId(), retry.getEdits(0).getId(), "a retry returns the original edit");
        assertEquals(1, editor.listEdits(ListEditsRequest.newBuilder().setSpace(space).build()).getEditsCount());
        assertEquals(Status.Code.ALREADY_EXISTS, code(() -> editor.applyEdits(apply(space,
                request().toBuilder().setTargetNew("Rome").build()).setIdempotencyKey("key-1").build())));
        assertEquals(Status.Code.ABORTED, code(() -> editor.applyEdits(apply(space, request()).setExpectedSequence(0).build())));
        var spaces = editor.listSpaces(ListSpacesRequest.getDefaultInstance()).getSpacesList();
        assertEquals("base", spaces.get(0).getName());
        var mine = spaces.stream().filter(s -> s.getName().equals(space)).findFirst().orElseThrow();
        assertEquals(1, mine.getLiveEdits());
        assertEquals(1, editor.deleteSpace(DeleteSpaceRequest.newBuilder().setName(space).build()).getEditsDiscarded());
        assertEquals(Status.Code.NOT_FOUND, code(() -> score(space, "a", "b")));
    }

    /**
     * The ledger commit fails (a PostgreSQL trigger refuses the insert of one marked edit): the
     * client gets an error, nothing is written, and the space answers exactly as before — in memory
     * and after a replay from the ledger. In a sequential call the edits before the failing one stay
     * committed and live, and the error says so.
     */
    /** A ledger written on another checkpoint is refused by name, never replayed on this model's weights. */
    @Test
    void aLedgerWrittenOnAnotherModelIsNotReplayed() throws Exception {
        String space = newSpace();
        editor.applyEdits(apply(space, request()).build());
        String schema = ConfigProvider.getConfig().getOptionalValue("quarkus.flyway.default-schema", String.class)
                .orElse("public");
        String running = registry.engine().model().fingerprint();
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE " + schema + ".edit_unit SET base_fingerprint = 'sha256:0123456789abcdef' WHERE space = '"
                    + space + "'");
        }
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> registry.refreshForced(space));
            assertTrue(e.getMessage().contains("space '" + space + "' was edited on the model sha256:0123456789abcdef, but this "
                    + "service runs " + running), e.getMessage());
        } finally {
            try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE " + schema + ".edit_unit SET base_fingerprint = '" + running + "' WHERE space = '"
                        + space + "'");
            }
        }
        assertTrue(registry.refreshForced(space), "the same ledger on its own model replays");
    }

    @Test
    void aFailedCommitLeavesNothingApplied() throws Exception {
        String space = newSpace();
        EditRequest r = request();
        ScoreResult before = score(space, r.getPrompt(), r.getTargetNew());
        String marker = "inject-commit-failure-" + space;
        String schema = ConfigProvider.getConfig().getOptionalValue("quarkus.flyway.default-schema", String.class)
                .orElse("public");
        String fn = schema + ".fail_marked_" + space.replace('-', '_');
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "RAISE EXCEPTION 'injected commit failure'; END $$");
            st.execute("CREATE TRIGGER fail_" + space.replace('-', '_') + " BEFORE INSERT ON " + schema
                    + ".edit FOR EACH ROW WHEN (NEW.case_id = '" + marker + "') EXECUTE FUNCTION " + fn + "()");
        }
        try {
            EditRequest failing = r.toBuilder().setCaseId(marker).build();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> editor.applyEdits(apply(space, failing).build()));
            assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.getStatus().toString());
            assertEquals(0, editor.listEdits(ListEditsRequest.newBuilder().setSpace(space).build()).getEditsCount(),
                    "the failed commit wrote nothing");
            assertEquals(before, score(space, r.getPrompt(), r.getTargetNew()), "the edit is not live in memory");
            assertEquals(0, sequenceOf(space));

            // sequential: the first edit commits, the second fails, the error says the first is live
            StatusRuntimeException partial = assertThrows(StatusRuntimeException.class,
                    () -> editor.applyEdits(apply(space, r, failing).setMode(EditMode.EDIT_MODE_SEQUENTIAL).build()));
            assertTrue(partial.getStatus().getDescription().contains("edit 2 of 2 failed"), partial.getStatus().toString());
            assertTrue(partial.getStatus().getDescription().contains("1 edits before it are committed"),
                    partial.getStatus().toString());
            assertEquals(1, editor.listEdits(ListEditsRequest.newBuilder().setSpace(space).build()).getEditsCount());
            assertEquals(1, sequenceOf(space));
            ScoreResult one = score(space, r.getPrompt(), r.getTargetNew());
            assertTrue(registry.refreshForced(space));
            assertEquals(one, score(space, r.getPrompt(), r.getTargetNew()),
                    "memory after the failure equals replay of the ledger");
        } finally {
            try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("DROP TRIGGER fail_" + space.replace('-', '_') + " ON " + schema + ".edit");
                st.execute("DROP FUNCTION " + fn + "()");
            }
        }
    }

    /**
     * The engine cannot apply a unit (a corrupt payload): the ledger commit never runs and the
     * space's state is what it was; and when the apply succeeds but the commit fails, the state is
     * rebuilt without the unit.
     */
    @Test
    void aFailedApplyNeverReachesTheLedger() {
        String space = newSpace();
        EditRequest r = request();
        ScoreResult before = score(space, r.getPrompt(), r.getTargetNew());
        SpaceRuntime rt = registry.editable(space, "space");
        var unit = new dev.emend.core.edit.LedgerUnit(List.of("x"), method(),
                dev.emend.core.edit.Hparams.of(Map.of()), List.of(ProtoMapping.request(r)), new byte[] {7, 7, 7});
        boolean[] committed = {false};
        assertThrows(RuntimeException.class, () -> rt.applyDurably("u", unit, () -> {
            committed[0] = true;
            throw new IllegalStateException("unreachable");
        }, registry.engine()::newState));
        assertFalse(committed[0], "no ledger write for a unit that could not be applied");
        assertEquals(before, score(space, r.getPrompt(), r.getTargetNew()));
        assertEquals(0, rt.sequence());
        assertTrue(rt.liveUnits().isEmpty());
    }

    /**
     * A call sent with an idempotency key can be followed while it waits in the edit queue, and
     * cancelled there: it ends CANCELLED and writes nothing. (The queue is held by a task of the
     * test, so the call is deterministically still queued when it is cancelled.)
     */
    @Test
    void aQueuedEditCanBeFollowedAndCancelled() throws Exception {
        String space = newSpace();
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            pool.submit(() -> queue.run(() -> {
                holding.countDown();
                return hold.await(5, TimeUnit.MINUTES);
            }));
            assertTrue(holding.await(1, TimeUnit.MINUTES));
            var request = EditProgressRequest.newBuilder().setSpace(space).setIdempotencyKey("follow-me").build();
            assertEquals(EditProgressState.EDIT_PROGRESS_STATE_UNKNOWN, editor.getEditProgress(request).getState());
            var call = pool.submit(() -> editor.applyEdits(apply(space, request()).setIdempotencyKey("follow-me").build()));
            EditProgress p = editor.getEditProgress(request);
            for (int i = 0; i < 600 && p.getState() != EditProgressState.EDIT_PROGRESS_STATE_QUEUED; i++) {
                Thread.sleep(100);
                p = editor.getEditProgress(request);
            }
            assertEquals(EditProgressState.EDIT_PROGRESS_STATE_QUEUED, p.getState());
            assertEquals(1, p.getUnitsTotal());
            assertEquals(0, p.getUnitsDone());
            var cancelled = editor.cancelEdit(request);
            assertTrue(cancelled.getCancelled());
            assertTrue(cancelled.getProgress().getCancelRequested());
            hold.countDown();
            var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> call.get(5, TimeUnit.MINUTES));
            StatusRuntimeException e = (StatusRuntimeException) failure.getCause();
            assertEquals(Status.Code.CANCELLED, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("nothing was applied"), e.getStatus().toString());
            assertEquals(0, editor.listEdits(ListEditsRequest.newBuilder().setSpace(space).build()).getEditsCount());
            assertEquals(EditProgressState.EDIT_PROGRESS_STATE_UNKNOWN, editor.getEditProgress(request).getState());
            assertFalse(editor.cancelEdit(request).getCancelled(), "nothing left to cancel");
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> editor.getEditProgress(request.toBuilder()
                    .setIdempotencyKey("").build())));
        } finally {
            hold.countDown();
            pool.shutdownNow();
        }
    }

    private long sequenceOf(String space) {
        return editor.listSpaces(ListSpacesRequest.getDefaultInstance()).getSpacesList().stream()
                .filter(s -> s.getName().equals(space)).findFirst().orElseThrow().getModelVersion().getSequence();
    }

    protected static List<Integer> argmax(ScoreResult r) {
        return r.getTokensList().stream().map(t -> t.getArgmaxId()).toList();
    }

    protected static Struct struct(Map<String, ?> m) {
        return ProtoMapping.struct(m);
    }

    protected static void assertDifferent(Object a, Object b, String message) {
        assertNotEquals(a, b, message);
    }

    protected static EditMode batch() {
        return EditMode.EDIT_MODE_BATCH;
    }
}
