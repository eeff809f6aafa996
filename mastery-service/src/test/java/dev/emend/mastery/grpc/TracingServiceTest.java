package dev.emend.mastery.grpc;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.CreateSpaceRequest;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.EditorGrpc;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.TraceRequest;
import dev.emend.api.v1.TraceResponse;
import dev.emend.api.v1.TraceRow;
import dev.emend.api.v1.TracingGrpc;
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

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** emend.v1.Tracing on the default model: base and an edited space, and bad input. */
@QuarkusTest
@QuarkusTestResource(EmbeddedPostgresResource.class)
class TracingServiceTest {
    private static final String PROMPT = "The capital of France is";

    private ManagedChannel channel;
    private TracingGrpc.TracingBlockingStub tracing;
    private EditorGrpc.EditorBlockingStub editor;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        tracing = TracingGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES);
        editor = EditorGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES);
    }

    @AfterEach
    void close() {
        channel.shutdownNow();
    }

    private static TraceRequest.Builder request(String space) {
        return TraceRequest.newBuilder().setSpace(space).setPrompt(PROMPT).setSubject("France").setSamples(4);
    }

    @Test
    void tracesBaseAndAnEditedSpace() {
        TraceResponse base = tracing.trace(request("base").setTarget("Berlin").build());
        assertEquals(Phase.PHASE_MASTERY, base.getPhase());
        assertEquals("base", base.getModelVersion().getSpace());
        assertEquals(0, base.getModelVersion().getSequence());
        assertEquals(PROMPT, String.join("", base.getTokensList()));
        assertEquals(" France", String.join("", base.getTokensList().subList(base.getSubjectStart(), base.getSubjectEnd())));
        assertTrue(!base.getAnswer().isEmpty() && " Berlin".startsWith(base.getAnswer()),
                "answer is Berlin's first token: '" + base.getAnswer() + "'");
        int layers = base.getLayersCount();
        assertEquals(6, layers);
        for (var grid : java.util.List.of(base.getBlock(), base.getMlp(), base.getAttention())) {
            assertEquals(layers, grid.getRowsCount());
            for (int l = 0; l < layers; l++) {
                TraceRow row = grid.getRows(l);
                assertEquals(l, row.getLayer());
                assertEquals(base.getTokensCount(), row.getValuesCount());
            }
        }
        int last = base.getTokensCount() - 1;
        assertEquals(base.getPClean(), base.getBlock().getRows(layers - 1).getValues(last), 1e-4,
                "restoring the last block at the last token restores the clean run");
        assertEquals(4, base.getSamples());
        assertEquals(1, base.getWindow());
        assertTrue(base.getNoiseStd() > 0);
        assertTrue(base.getNoiseSource().contains("facts.json"), base.getNoiseSource());

        editor.createSpace(CreateSpaceRequest.newBuilder().setName("traced").build());
        editor.applyEdits(ApplyEditsRequest.newBuilder().setSpace("traced").setMethod("FT-M")
                .addRequests(EditRequest.newBuilder().setPrompt(PROMPT).setSubject("France").setTargetNew("Berlin"))
                .build());
        TraceResponse edited = tracing.trace(request("traced").setTarget("Berlin").build());
        assertEquals("traced", edited.getModelVersion().getSpace());
        assertEquals(1, edited.getModelVersion().getSequence());
        assertTrue(edited.getPClean() > base.getPClean() + 0.1,
                "the edited space is traced: p(Berlin) " + base.getPClean() + " -> " + edited.getPClean());

        TraceResponse own = tracing.trace(request("traced").build());
        assertEquals(edited.getAnswerId(), own.getAnswerId(), "no target: the model's own prediction, Berlin after the edit");
    }

    @Test
    void badInputIsRejectedBeforeAnyComputation() {
        assertStatus(Status.Code.INVALID_ARGUMENT, "subject", request("base").setSubject("Germany"));
        assertStatus(Status.Code.INVALID_ARGUMENT, "prompt", request("base").setPrompt(""));
        assertStatus(Status.Code.INVALID_ARGUMENT, "subject", request("base").setSubject(""));
        assertStatus(Status.Code.INVALID_ARGUMENT, "target", request("base").setTarget("  "));
        assertStatus(Status.Code.INVALID_ARGUMENT, "samples", request("base").setSamples(1000));
        assertStatus(Status.Code.INVALID_ARGUMENT, "window", request("base").setWindow(7));
        assertStatus(Status.Code.INVALID_ARGUMENT, "space", request(""));
        assertStatus(Status.Code.NOT_FOUND, "space", request("no-such-space"));
    }

    private void assertStatus(Status.Code code, String field, TraceRequest.Builder r) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> tracing.trace(r.build()));
        assertEquals(code, e.getStatus().getCode(), e.getStatus().getDescription());
        assertTrue(e.getStatus().getDescription().startsWith(field + ":"), e.getStatus().getDescription());
    }
}
