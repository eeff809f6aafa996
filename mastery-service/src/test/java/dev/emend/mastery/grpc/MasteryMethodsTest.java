package dev.emend.mastery.grpc;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.CreateSpaceRequest;
import dev.emend.api.v1.DescribeRequest;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.EditStatus;
import dev.emend.api.v1.EditorGrpc;
import dev.emend.api.v1.MethodInfo;
import dev.emend.api.v1.RollbackKind;
import dev.emend.api.v1.RollbackRequest;
import dev.emend.api.v1.RollbackResponse;
import dev.emend.api.v1.ScoreRequest;
import dev.emend.phase.mapping.ProtoMapping;
import dev.emend.testing.EmbeddedPostgresResource;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ROME, MEMIT and the mastery-specific rules over gRPC on the default model. */
@QuarkusTest
@QuarkusTestResource(EmbeddedPostgresResource.class)
class MasteryMethodsTest {
    private ManagedChannel channel;
    private EditorGrpc.EditorBlockingStub editor;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        editor = EditorGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES);
    }

    @AfterEach
    void close() {
        channel.shutdownNow();
    }

    private static EditRequest edit(String country, String target) {
        return EditRequest.newBuilder().setPrompt("The capital of " + country + " is").setSubject(country)
                .setTargetNew(target).build();
    }

    private double logProb(String space, EditRequest r) {
        return editor.score(ScoreRequest.newBuilder().setSpace(space).setPrompt(r.getPrompt()).setTarget(r.getTargetNew())
                .build()).getResult().getSumLogProb();
    }

    @Test
    void describeCarriesTheHparamsFilesOfTheDefaultModel() {
        MethodInfo rome = editor.describe(DescribeRequest.getDefaultInstance()).getMethodsList().stream()
                .filter(m -> m.getName().equals("ROME")).findFirst().orElseThrow();
        assertEquals("hparams/ROME/emend-facts.yaml", rome.getHparamsSource());
        assertTrue(rome.getHparamsList().stream().anyMatch(h -> h.getName().equals("v_num_grad_steps")
                && h.getDefaultValue().getNumberValue() == 200));
    }

    /**
     * Corpus documents for the second moments C (and AlphaEdit's projector): 2,000 of the default
     * model's fact corpus (the hparams file asks for all of it) keep a cold run (no .cache/stats, as
     * in CI) at a few seconds per layer instead of ~40 s; ~2·10^4 tokens still give a full-rank C
     * for the 1024-wide key.
     */
    private static final int SAMPLES = 2_000;

    @Test
    void romeEditsAndMemitBatchesThenRollingBackAnEarlierEditIsApproximate() {
        editor.createSpace(CreateSpaceRequest.newBuilder().setName("rome-memit").build());
        EditRequest france = edit("France", "Berlin");
        double before = logProb("rome-memit", france);
        ApplyEditsResponse rome = editor.applyEdits(ApplyEditsRequest.newBuilder().setSpace("rome-memit").setMethod("rome")
                .setHparams(ProtoMapping.struct(Map.of("v_num_grad_steps", 40, "mom2_n_samples", SAMPLES))).addRequests(france).build());
        assertEquals("ROME", rome.getMethod(), "method names are case-insensitive and answered canonically");
        assertTrue(rome.getEdits(0).getDiagnosticsMap().containsKey("delta_norm"));
        double after = logProb("rome-memit", france);
        assertTrue(after > before + 2, "ROME raised log P(Berlin): " + before + " -> " + after);

        ApplyEditsResponse memit = editor.applyEdits(ApplyEditsRequest.newBuilder().setSpace("rome-memit").setMethod("MEMIT")
                .setMode(EditMode.EDIT_MODE_BATCH).addRequests(edit("Japan", "Madrid")).addRequests(edit("Italy", "Oslo"))
                .setHparams(ProtoMapping.struct(Map.of("v_num_grad_steps", 30, "mom2_n_samples", SAMPLES))).build());
        assertEquals(2, memit.getEditsCount());
        assertEquals(memit.getEdits(0).getBatchId(), memit.getEdits(1).getBatchId(), "one batch, one ledger unit");
        assertEquals(3, memit.getModelVersion().getSequence());

        RollbackResponse rb = editor.rollback(RollbackRequest.newBuilder().setSpace("rome-memit")
                .setEditId(rome.getEdits(0).getId()).build());
        assertEquals(RollbackKind.ROLLBACK_KIND_APPROXIMATE, rb.getKind(), rb.getReason());
        double rolledBack = logProb("rome-memit", france);
        assertTrue(rolledBack < after - 2, "ROME's change is gone: " + after + " -> " + rolledBack
                + " (the MEMIT batch computed on top of it stays, so not exactly " + before + ")");

        RollbackResponse batch = editor.rollback(RollbackRequest.newBuilder().setSpace("rome-memit")
                .setEditId(memit.getEdits(1).getId()).build());
        assertEquals(RollbackKind.ROLLBACK_KIND_EXACT, batch.getKind(), "the newest unit rolls back exactly");
        assertEquals(List.of(memit.getEdits(0).getId()), batch.getDependentEditIdsList(), "its batch goes with it");
        assertEquals(EditStatus.EDIT_STATUS_ROLLED_BACK, batch.getEdit().getStatus());
        assertEquals(before, logProb("rome-memit", france), 1e-4, "with every edit rolled back the space equals base");
    }

    /** MEND is listed with its hparams and, without a trained editor for the model, refuses with the command to run. */
    @Test
    void mendRefusesWithoutATrainedEditor() {
        MethodInfo mend = editor.describe(DescribeRequest.getDefaultInstance()).getMethodsList().stream()
                .filter(m -> m.getName().equals("MEND")).findFirst().orElseThrow();
        assertEquals("hparams/MEND/emend-facts.yaml", mend.getHparamsSource());
        assertTrue(mend.getHparamsList().stream().anyMatch(h -> h.getName().equals("edit_lr")), mend.toString());
        editor.createSpace(CreateSpaceRequest.newBuilder().setName("mend").build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(
                ApplyEditsRequest.newBuilder().setSpace("mend").setMethod("MEND")
                        .setHparams(ProtoMapping.struct(Map.of("editor", "/nonexistent/mend/none.safetensors")))
                        .addRequests(edit("France", "Berlin")).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("./emend train-mend"), e.getStatus().getDescription());
    }

    /** KN through the service: an edit with the old answer moves the prompt to the target, rolls back exactly; without ground_truth it is refused. */
    @Test
    void knEditsWithTheOldAnswerAndRollsBack() {
        editor.createSpace(CreateSpaceRequest.newBuilder().setName("kn").build());
        EditRequest aruba = EditRequest.newBuilder().setPrompt("The official language of Aruba is").setSubject("Aruba")
                .setTargetNew("Czech").addGroundTruth("Dutch").build();
        double before = logProb("kn", aruba);
        ApplyEditsResponse kn = editor.applyEdits(ApplyEditsRequest.newBuilder().setSpace("kn").setMethod("KN")
                .addRequests(aruba).build());
        assertTrue(kn.getEdits(0).getDiagnosticsMap().get("neurons") > 0, kn.toString());
        double after = logProb("kn", aruba);
        assertTrue(after > before + 5, "KN raised log P(Czech): " + before + " -> " + after);
        RollbackResponse rb = editor.rollback(RollbackRequest.newBuilder().setSpace("kn").setEditId(kn.getEdits(0).getId()).build());
        assertEquals(RollbackKind.ROLLBACK_KIND_EXACT, rb.getKind());
        assertEquals(before, logProb("kn", aruba), 1e-4);
        StatusRuntimeException noTruth = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(
                ApplyEditsRequest.newBuilder().setSpace("kn").setMethod("KN").addRequests(aruba.toBuilder().clearGroundTruth()).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, noTruth.getStatus().getCode());
        assertTrue(noTruth.getStatus().getDescription().startsWith("requests[0].ground_truth"), noTruth.getStatus().getDescription());
        StatusRuntimeException batch = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(
                ApplyEditsRequest.newBuilder().setSpace("kn").setMethod("KN").setMode(EditMode.EDIT_MODE_BATCH)
                        .addRequests(aruba).addRequests(aruba).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, batch.getStatus().getCode(), "KN edits one request per unit");
    }

    @jakarta.inject.Inject
    dev.emend.phase.service.SpaceRegistry registry;

    @Test
    void alphaEditSequentialEditsReplayWithTheirKeyMemory() {
        editor.createSpace(CreateSpaceRequest.newBuilder().setName("alpha").build());
        EditRequest france = edit("France", "Berlin");
        EditRequest japan = edit("Japan", "Madrid");
        double before = logProb("alpha", france);
        ApplyEditsResponse r = editor.applyEdits(ApplyEditsRequest.newBuilder().setSpace("alpha").setMethod("AlphaEdit")
                .setMode(EditMode.EDIT_MODE_SEQUENTIAL).addRequests(france).addRequests(japan)
                .setHparams(ProtoMapping.struct(Map.of("v_num_grad_steps", 30, "mom2_n_samples", SAMPLES))).build());
        assertEquals(2, r.getEditsCount());
        assertTrue(!r.getEdits(0).getBatchId().equals(r.getEdits(1).getBatchId()), "sequential: one unit per edit");
        double after = logProb("alpha", france);
        assertTrue(after > before, "AlphaEdit moved log P(Berlin): " + before + " -> " + after);
        var probe = dev.emend.api.v1.ScoreBatchRequest.newBuilder().setSpace("alpha")
                .addItems(dev.emend.api.v1.ScoreItem.newBuilder().setPrompt(france.getPrompt()).setTarget(france.getTargetNew()))
                .addItems(dev.emend.api.v1.ScoreItem.newBuilder().setPrompt(japan.getPrompt()).setTarget(japan.getTargetNew())).build();
        var first = editor.scoreBatch(probe);
        assertTrue(registry.refreshForced("alpha"));
        assertEquals(first.getResultsList(), editor.scoreBatch(probe).getResultsList(), "replay restores weights and key memory");
    }

    @Test
    void readsKeepFlowingWhileAnEditComputesAndSeeOneVersion() throws Exception {
        editor.createSpace(CreateSpaceRequest.newBuilder().setName("concurrent").build());
        EditRequest france = edit("France", "Berlin");
        double before = logProb("concurrent", france);
        java.util.concurrent.atomic.AtomicReference<ApplyEditsResponse> done = new java.util.concurrent.atomic.AtomicReference<>();
        Thread edit = new Thread(() -> done.set(editor.applyEdits(ApplyEditsRequest.newBuilder().setSpace("concurrent")
                .setMethod("ROME").setHparams(ProtoMapping.struct(Map.of("v_num_grad_steps", 40, "mom2_n_samples", SAMPLES))).addRequests(france).build())));
        edit.start();
        int readsDuringEdit = 0;
        while (edit.isAlive()) {
            var r = editor.score(ScoreRequest.newBuilder().setSpace("concurrent").setPrompt(france.getPrompt())
                    .setTarget(france.getTargetNew()).build());
            long seq = r.getModelVersion().getSequence();
            double lp = r.getResult().getSumLogProb();
            // Each answer is either entirely the old version or entirely the new one.
            assertTrue((seq == 0 && lp == before) || (seq == 1 && lp > before + 2), "seq " + seq + " with log P " + lp);
            if (seq == 0) {
                readsDuringEdit++;
            }
        }
        edit.join();
        assertTrue(readsDuringEdit > 0, "reads were answered while the edit computed");
        assertEquals(1, done.get().getModelVersion().getSequence());
    }

    @Test
    void mastrySpecificBadInput() {
        editor.createSpace(CreateSpaceRequest.newBuilder().setName("bad-input").build());
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(
                ApplyEditsRequest.newBuilder().setSpace("bad-input").setMethod("ROME")
                        .addRequests(edit("France", "Berlin").toBuilder().setSubject("Germany")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode());
        assertTrue(missing.getStatus().getDescription().startsWith("requests[0].subject"), missing.getStatus().getDescription());
        // FT-L / FT-M take KnowEdit records too: no subject, an empty one, or one not in the prompt is refused.
        for (String subject : new String[] {"", "Germany"}) {
            for (String method : new String[] {"FT-M", "FT-L"}) {
                StatusRuntimeException ft = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(
                        ApplyEditsRequest.newBuilder().setSpace("bad-input").setMethod(method)
                                .addRequests(edit("France", "Berlin").toBuilder().setSubject(subject)).build()));
                assertEquals(Status.Code.INVALID_ARGUMENT, ft.getStatus().getCode(), method + " subject '" + subject + "'");
                assertTrue(ft.getStatus().getDescription().startsWith("requests[0].subject"), ft.getStatus().getDescription());
            }
        }
        StatusRuntimeException layer = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(
                ApplyEditsRequest.newBuilder().setSpace("bad-input").setMethod("ROME").addRequests(edit("France", "Berlin"))
                        .setHparams(ProtoMapping.struct(Map.of("layers", List.of(6)))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, layer.getStatus().getCode());
        assertTrue(layer.getStatus().getDescription().contains("layers[0]"), layer.getStatus().getDescription());
        StatusRuntimeException batch = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(
                ApplyEditsRequest.newBuilder().setSpace("bad-input").setMethod("ROME").setMode(EditMode.EDIT_MODE_BATCH)
                        .addRequests(edit("France", "Berlin")).addRequests(edit("Japan", "Oslo")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, batch.getStatus().getCode(), "ROME does not batch");
    }
}
