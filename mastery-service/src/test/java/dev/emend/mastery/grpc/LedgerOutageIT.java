package dev.emend.mastery.grpc;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.api.v1.CreateSpaceRequest;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.EditorGrpc;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.api.v1.ListEditsRequest;
import dev.emend.testing.ServiceProcess;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL stopped and restarted under a running service: edits fail cleanly with UNAVAILABLE
 * (nothing changed), reads of loaded spaces keep working, and once the database is back the
 * service accepts edits again without a restart.
 */
class LedgerOutageIT {
    private static EditRequest edit(String country, String target) {
        return EditRequest.newBuilder().setPrompt("The capital of " + country + " is").setSubject(country)
                .setTargetNew(target).build();
    }

    @Test
    void databaseOutageIsUnavailableAndRecoversWithoutRestart() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = Files.createTempDirectory("emend-outage-pg");
        EmbeddedPostgres pg = EmbeddedPostgres.builder().setPort(port).setDataDirectory(data).setCleanDataDirectory(false).start();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE emend");
        }
        String url = pg.getJdbcUrl("postgres", "emend");
        try (ServiceProcess svc = ServiceProcess.start("mastery-service", url, Map.of())) {
            ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", svc.port()).usePlaintext().build();
            try {
                EditorGrpc.EditorBlockingStub editor = EditorGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.MINUTES);
                editor.createSpace(CreateSpaceRequest.newBuilder().setName("outage").build());
                ApplyEditsRequest first = ApplyEditsRequest.newBuilder().setSpace("outage").setMethod("FT-M")
                        .addRequests(edit("France", "Berlin")).build();
                editor.applyEdits(first);

                pg.close();
                StatusRuntimeException down = assertThrows(StatusRuntimeException.class, () -> editor.applyEdits(
                        first.toBuilder().setRequests(0, edit("Japan", "Oslo")).build()));
                assertEquals(Status.Code.UNAVAILABLE, down.getStatus().getCode(), down.getStatus().toString());
                String text = editor.generate(GenerateRequest.newBuilder().setSpace("outage")
                        .setPrompt("The capital of France is").setMaxNewTokens(3).build()).getText();
                assertTrue(text.startsWith(" Berlin"), "reads keep working from memory: " + text);

                pg = EmbeddedPostgres.builder().setPort(port).setDataDirectory(data).setCleanDataDirectory(false).start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                boolean recovered = false;
                while (!recovered && System.nanoTime() < deadline) {
                    try {
                        editor.applyEdits(first.toBuilder().setRequests(0, edit("Japan", "Oslo")).build());
                        recovered = true;
                    } catch (StatusRuntimeException e) {
                        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
                        Thread.sleep(500);
                    }
                }
                assertTrue(recovered, "edits are accepted again once PostgreSQL is back, without restarting the service");
                var ledger = editor.listEdits(ListEditsRequest.newBuilder().setSpace("outage").build()).getEditsList();
                assertEquals(2, ledger.size(), "the edit refused during the outage left nothing behind");
                assertEquals(2, ledger.get(1).getSequence());
            } finally {
                ch.shutdownNow();
            }
        } finally {
            pg.close();
        }
    }
}
