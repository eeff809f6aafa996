package dev.emend.evaluation.grpc;

import dev.emend.api.v1.CaseResult;
import dev.emend.api.v1.CaseScores;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.EvaluationGrpc;
import dev.emend.api.v1.GetRunRequest;
import dev.emend.api.v1.InlineCases;
import dev.emend.api.v1.ModeSpec;
import dev.emend.api.v1.Note;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.ProtocolOptions;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.RunStatus;
import dev.emend.api.v1.Target;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs left RUNNING by a previous process (rows written into the database before the app starts,
 * as a crash leaves them): a single-edit run resumes from its last finished case; a sequential one
 * is marked FAILED with the reason. Neither is silently lost.
 */
@QuarkusTest
@QuarkusTestResource(value = InterruptedRunTest.Interrupted.class, restrictToAnnotatedClass = true)
class InterruptedRunTest {
    static final String SINGLE = "11111111-1111-1111-1111-111111111111";
    static final String SEQUENTIAL = "22222222-2222-2222-2222-222222222222";

    static RunRequest request(EditMode mode) {
        return RunRequest.newBuilder().setName("interrupted " + mode)
                .setCases(InlineCases.newBuilder()
                        .addCases(EditRequest.newBuilder().setCaseId("c0").setPrompt("The capital of France is").setSubject("France").setTargetNew("Berlin"))
                        .addCases(EditRequest.newBuilder().setCaseId("c1").setPrompt("The capital of Japan is").setSubject("Japan").setTargetNew("Rome")))
                .addTargets(Target.newBuilder().setPhase(Phase.PHASE_MASTERY).setMethod("FT-M"))
                .setMode(ModeSpec.newBuilder().setMode(mode))
                .setProtocol(ProtocolOptions.newBuilder().setSkipFluency(true))
                .build();
    }

    /** Prepares the database as a killed evaluation-service leaves it. */
    public static class Interrupted extends EvaluationTestResource {
        @Override
        protected void beforeStart() {
            Flyway.configure().dataSource(jdbcUrl, "postgres", "postgres").schemas("evaluation").defaultSchema("evaluation")
                    .locations("classpath:db/migration").load().migrate();
            try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres")) {
                insertRun(c, SINGLE, request(EditMode.EDIT_MODE_SINGLE), 1, 2);
                insertRun(c, SEQUENTIAL, request(EditMode.EDIT_MODE_SEQUENTIAL), 1, 2);
                // Case 0 of the single run was finished before the "crash"; a marker note shows it is kept, not redone.
                CaseResult done = CaseResult.newBuilder().setIndex(0).setCaseId("c0").setPrompt("The capital of France is")
                        .setTargetNew("Berlin").addEditIds("before-restart")
                        .setAfterOwnEdit(CaseScores.newBuilder().setRewriteAcc(1.0))
                        .addNotes(Note.newBuilder().setCode("BEFORE_RESTART").setMessage("written by the test")).build();
                try (PreparedStatement s = c.prepareStatement("INSERT INTO evaluation.case_result (run_id, target_index, case_index, result) VALUES (?, 0, 0, ?)")) {
                    s.setString(1, SINGLE);
                    s.setBytes(2, done.toByteArray());
                    s.executeUpdate();
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        private static void insertRun(Connection c, String id, RunRequest r, long done, long total) throws SQLException {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO evaluation.run (id, name, status, request, cases_done, cases_total, created_at, started_at)"
                    + " VALUES (?, ?, 'RUN_STATUS_RUNNING', ?, ?, ?, ?, ?)")) {
                s.setString(1, id);
                s.setString(2, r.getName());
                s.setBytes(3, r.toByteArray());
                s.setLong(4, done);
                s.setLong(5, total);
                s.setTimestamp(6, Timestamp.from(Instant.now().minusSeconds(60)));
                s.setTimestamp(7, Timestamp.from(Instant.now().minusSeconds(59)));
                s.executeUpdate();
            }
        }
    }

    @Test
    void aSingleRunResumesAndASequentialRunFailsWithTheReason() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            EvaluationGrpc.EvaluationBlockingStub evaluation = EvaluationGrpc.newBlockingStub(channel).withDeadlineAfter(15, TimeUnit.MINUTES);

            Run failed = EvaluationServiceTest.awaitFinished(evaluation, SEQUENTIAL);
            assertEquals(RunStatus.RUN_STATUS_FAILED, failed.getStatus());
            assertTrue(failed.getStatusReason().contains("restart") && failed.getStatusReason().contains("EDIT_MODE_SEQUENTIAL"),
                    failed.getStatusReason());
            assertTrue(failed.hasFinishedAt());

            Run resumed = EvaluationServiceTest.awaitFinished(evaluation, SINGLE);
            assertEquals(RunStatus.RUN_STATUS_SUCCEEDED, resumed.getStatus(), resumed.getStatusReason());
            assertEquals(1, resumed.getResumeCount());
            assertTrue(resumed.getStatusReason().contains("resumed after a restart"), resumed.getStatusReason());
            var cases = resumed.getResults(0).getCasesList();
            assertEquals(2, cases.size());
            assertEquals("BEFORE_RESTART", cases.get(0).getNotes(0).getCode(), "the finished case is kept, not redone");
            assertEquals("c1", cases.get(1).getCaseId());
            assertFalse(cases.get(1).getEditIdsList().isEmpty(), "the remaining case was edited after the restart");
            assertTrue(cases.get(1).getAfterOwnEdit().hasRewriteAcc());
            assertEquals(2, resumed.getResults(0).getMetrics().getCases());
            assertFalse(resumed.getProtocol().getDatasetSha256().isEmpty());
            evaluation.getRun(GetRunRequest.newBuilder().setRunId(SINGLE).build());
        } finally {
            channel.shutdownNow();
        }
    }
}
