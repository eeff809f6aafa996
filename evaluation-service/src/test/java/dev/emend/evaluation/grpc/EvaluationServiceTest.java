package dev.emend.evaluation.grpc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.emend.api.v1.CaseResult;
import dev.emend.api.v1.Dataset;
import dev.emend.api.v1.DatasetFormat;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EvaluateEvent;
import dev.emend.api.v1.EvaluationGrpc;
import dev.emend.api.v1.GeneralHealth;
import dev.emend.api.v1.GetRunRequest;
import dev.emend.api.v1.HealthFigures;
import dev.emend.api.v1.HealthSet;
import dev.emend.api.v1.InlineCases;
import dev.emend.api.v1.ListRunsRequest;
import dev.emend.api.v1.ListRunsResponse;
import dev.emend.api.v1.Metrics;
import dev.emend.api.v1.ModeSpec;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.Probe;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.RunStatus;
import dev.emend.api.v1.ScoringMethod;
import dev.emend.api.v1.Target;
import dev.emend.api.v1.TargetResult;
import dev.emend.testing.ServiceProcess;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * emend.v1.Evaluation over real gRPC, driving a real mastery-service process (the packaged jar,
 * the default model) with a real PostgreSQL behind both.
 */
@QuarkusTest
@QuarkusTestResource(value = EvaluationTestResource.class, restrictToAnnotatedClass = true)
class EvaluationServiceTest {
    static final Path COUNTERFACT = ServiceProcess.repoRoot().resolve("benchmarks/emend-facts/counterfact.json");

    ManagedChannel channel;
    EvaluationGrpc.EvaluationBlockingStub evaluation;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        evaluation = EvaluationGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.MINUTES);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    static RunRequest.Builder counterfact(int limit, String... methods) {
        RunRequest.Builder b = RunRequest.newBuilder().setName("test").setLimit(limit).setSeed(7)
                .setDataset(Dataset.newBuilder().setPath(COUNTERFACT.toString()).setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT));
        for (String m : methods) {
            b.addTargets(Target.newBuilder().setPhase(Phase.PHASE_MASTERY).setMethod(m));
        }
        return b;
    }

    static void assertPercent(String name, double v) {
        assertTrue(v >= 0 && v <= 100, name + " = " + v + " is not a percentage");
    }

    @Test
    void singleEditRunStreamsProgressAndIsStored() throws Exception {
        List<EvaluateEvent> events = new ArrayList<>();
        Iterator<EvaluateEvent> it = evaluation.evaluate(counterfact(3, "FT-M").build());
        it.forEachRemaining(events::add);

        String id = events.get(0).getRunId();
        assertFalse(id.isBlank(), "the first event carries the run id");
        events.forEach(e -> assertEquals(id, e.getRunId()));
        EvaluateEvent last = events.get(events.size() - 1);
        assertTrue(last.hasResult(), "the last event is the result");
        Run run = last.getResult();
        assertEquals(RunStatus.RUN_STATUS_SUCCEEDED, run.getStatus(), run.getStatusReason());
        long maxDone = events.stream().filter(EvaluateEvent::hasProgress).mapToLong(e -> e.getProgress().getCasesDone()).max().orElse(-1);
        assertEquals(3, maxDone, "progress reached every case");
        assertTrue(events.stream().filter(EvaluateEvent::hasProgress).allMatch(e -> e.getProgress().getCasesTotal() == 3));

        // Protocol and model recorded.
        assertEquals(EditMode.EDIT_MODE_SINGLE, run.getProtocol().getMode());
        assertEquals("base", run.getProtocol().getLocalityReference());
        assertEquals(3, run.getProtocol().getCases());
        assertEquals(64, run.getProtocol().getDatasetSha256().length());
        assertFalse(run.getModelFingerprint().isBlank());
        assertTrue(run.getProtocol().getScoringList().contains(ScoringMethod.SCORING_METHOD_GENERATED_EXACT_MATCH));

        TargetResult r = run.getResults(0);
        assertEquals("FT-M", r.getLabel());
        assertTrue(r.getEffectiveHparams().getFieldsMap().containsKey("lr"), "the method's effective hparams are recorded: " + r.getEffectiveHparams());
        Metrics m = r.getMetrics();
        assertEquals(3, m.getCases());
        assertTrue(m.hasEditSucc() && m.hasGeneralization() && m.hasLocality() && m.hasFluency() && m.hasEditSuccExactMatch(), m.toString());
        assertPercent("edit_succ", m.getEditSucc());
        assertPercent("generalization", m.getGeneralization());
        assertPercent("locality", m.getLocality());
        assertPercent("edit_succ_exact_match", m.getEditSuccExactMatch());
        if (m.hasPortability()) {
            assertPercent("portability", m.getPortability());
        }
        // FT-M on the default model makes these edits (mastery-service README: 100 on counterfact).
        assertTrue(m.getEditSucc() > 50, "FT-M edit success " + m.getEditSucc());
        // Fluency is bits x100 of a 100-token generation: entropy of real text, a few bits.
        assertTrue(m.getFluency() > 100 && m.getFluency() < 1000, "fluency " + m.getFluency());
        assertTrue(r.getSecondsPerEdit() > 0);

        // Persisted: GetRun with cases, ListRuns.
        Run stored = evaluation.getRun(GetRunRequest.newBuilder().setRunId(id).setIncludeCases(true).build());
        assertEquals(RunStatus.RUN_STATUS_SUCCEEDED, stored.getStatus());
        assertEquals(3, stored.getResults(0).getCasesCount());
        for (CaseResult c : stored.getResults(0).getCasesList()) {
            assertTrue(c.getError().isEmpty(), c.getError());
            assertTrue(c.hasAfterOwnEdit());
            assertEquals(1, c.getEditIdsCount());
            assertTrue(c.getAfterOwnEdit().hasLocality(), "counterfact cases have locality probes");
            assertFalse(c.getAfterOwnEdit().getGenerated().isEmpty());
        }
        assertEquals("counterfact/0", stored.getResults(0).getCases(0).getCaseId());
        Run brief = evaluation.getRun(GetRunRequest.newBuilder().setRunId(id).build());
        assertEquals(0, brief.getResults(0).getCasesCount(), "cases only on request");
        ListRunsResponse list = evaluation.listRuns(ListRunsRequest.getDefaultInstance());
        assertTrue(list.getRunsList().stream().anyMatch(x -> x.getId().equals(id)));
        list.getRunsList().forEach(x -> x.getResultsList().forEach(t -> assertEquals(0, t.getCasesCount())));
        assertTrue(evaluation.listRuns(ListRunsRequest.newBuilder().setStatus(RunStatus.RUN_STATUS_FAILED).build())
                .getRunsList().stream().noneMatch(x -> x.getId().equals(id)));

        // Reports written.
        assertTrue(stored.getStatusReason().contains("reports in"), stored.getStatusReason());
        Path dir = Path.of("target/test-reports", id);
        assertTrue(Files.readString(dir.resolve("report.md")).contains("FT-M"));
        assertTrue(Files.readString(dir.resolve("report.json")).contains("\"edit_succ\""));
        assertTrue(Files.size(dir.resolve("chart.png")) > 1000);
    }

    @Test
    void generalHealthIsMeasuredOnTheUneditedModelAndAfterTheEdits() throws Exception {
        // Three sequential FT-M edits; one health fact names the first case's subject and is left out.
        HealthSet health = HealthSet.newBuilder().setName("tiny health")
                .addTexts("The capital of France is Paris.").addTexts("Berlin is a city in Germany.")
                .addFacts(Probe.newBuilder().setPrompt("The capital of Kenya is").addGroundTruth("Nairobi"))
                .addFacts(Probe.newBuilder().setPrompt("Pavel Quinn was born in").addGroundTruth("Oslo"))
                .addFluencyPrompts("The capital of Peru is").build();
        RunRequest req = counterfact(3, "FT-M").setMode(ModeSpec.newBuilder().setMode(EditMode.EDIT_MODE_SEQUENTIAL))
                .setHealth(health).build();
        Run run = succeeded(req);
        GeneralHealth h = run.getResults(0).getGeneralHealth();
        assertEquals("tiny health", h.getHealthSet());
        assertEquals(3, h.getEditsApplied());
        for (HealthFigures f : List.of(h.getBefore(), h.getAfter())) {
            assertEquals(2, f.getTexts());
            assertEquals(1, f.getFacts(), "the fact naming an edited subject (counterfact/0: Pavel Quinn) is left out");
            assertEquals(1, f.getFluencyPrompts());
            assertTrue(f.getPerplexity() > 1, "perplexity " + f.getPerplexity());
            assertPercent("fact_recall", f.getFactRecall());
            assertTrue(f.getFluency() > 0, "fluency " + f.getFluency());
        }
        assertTrue(h.getBefore().getModelVersion().getSequence() < h.getAfter().getModelVersion().getSequence()
                || !h.getBefore().getModelVersion().getSpace().equals(h.getAfter().getModelVersion().getSpace()),
                "before is the unedited model, after the edited space: " + h);
        assertNotEquals(h.getBefore().getPerplexity(), h.getAfter().getPerplexity(), "three FT-M edits move the text's log-probs");

        // In single mode every edit is undone: refused, naming the field and the modes to use.
        StatusRuntimeException e = rejected(counterfact(3, "FT-M").setHealth(health).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("health: needs mode EDIT_MODE_BATCH or EDIT_MODE_SEQUENTIAL"),
                e.getStatus().getDescription());
        e = rejected(req.toBuilder().setHealth(health.toBuilder().addTexts("Paris")).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("health.texts[2]: needs at least two words"), e.getStatus().getDescription());
    }

    @Test
    void startRunReturnsAtOnceAndTheRunFinishesInTheBackground() throws Exception {
        // Two targets side by side on the same inline case, in sequential mode.
        RunRequest req = RunRequest.newBuilder()
                .setCases(InlineCases.newBuilder().addCases(dev.emend.api.v1.EditRequest.newBuilder()
                        .setPrompt("The capital of France is").setSubject("France").setTargetNew("Berlin").addGroundTruth("Paris")))
                .addTargets(Target.newBuilder().setPhase(Phase.PHASE_MASTERY).setMethod("FT-M"))
                // no phase: the planner asks the phase services which one offers FT-M
                .addTargets(Target.newBuilder().setMethod("FT-M").setLabel("FT-M tiny lr")
                        .setHparams(Struct.newBuilder().putFields("lr", Value.newBuilder().setNumberValue(1e-9).build())
                                .putFields("num_steps", Value.newBuilder().setNumberValue(1).build())))
                .setMode(ModeSpec.newBuilder().setMode(EditMode.EDIT_MODE_SEQUENTIAL))
                .setProtocol(dev.emend.api.v1.ProtocolOptions.newBuilder().setSkipFluency(true))
                .build();
        Run started = evaluation.startRun(req);
        assertTrue(started.getStatus() == RunStatus.RUN_STATUS_QUEUED || started.getStatus() == RunStatus.RUN_STATUS_RUNNING);
        Run run = awaitFinished(evaluation, started.getId());
        assertEquals(RunStatus.RUN_STATUS_SUCCEEDED, run.getStatus(), run.getStatusReason());
        assertEquals(2, run.getResultsCount());
        assertEquals("after_all_edits", run.getProtocol().getHeadline());
        TargetResult edited = run.getResults(0);
        TargetResult untouched = run.getResults(1);
        assertEquals(1, edited.getCheckpointsCount());
        assertEquals(1, edited.getCheckpoints(0).getEditsApplied());
        assertFalse(edited.getMetrics().hasFluency(), "fluency skipped");
        // A 1e-9 step changes nothing measurable: the edited target scores higher with the real FT-M.
        assertTrue(edited.getMetrics().getEditSucc() > untouched.getMetrics().getEditSucc(),
                edited.getMetrics().getEditSucc() + " vs " + untouched.getMetrics().getEditSucc());
        assertEquals(1e-9, untouched.getEffectiveHparams().getFieldsOrThrow("lr").getNumberValue(), 1e-15);
        assertEquals(Phase.PHASE_MASTERY, untouched.getTarget().getPhase(), "the phase that offers FT-M");
    }

    static Run awaitFinished(EvaluationGrpc.EvaluationBlockingStub evaluation, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        while (System.nanoTime() < deadline) {
            Run r = evaluation.getRun(GetRunRequest.newBuilder().setRunId(id).setIncludeCases(true).build());
            if (r.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED || r.getStatus() == RunStatus.RUN_STATUS_FAILED) {
                return r;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("run " + id + " did not finish");
    }

    private StatusRuntimeException rejected(RunRequest r) {
        return assertThrows(StatusRuntimeException.class, () -> evaluation.startRun(r));
    }

    private StatusRuntimeException rejectedStream(RunRequest r) {
        return assertThrows(StatusRuntimeException.class, () -> evaluation.evaluate(r).forEachRemaining(e -> { }));
    }

    @Test
    void datasetsAreReadOnlyFromTheDatasetDirectoriesOrUploaded() throws Exception {
        // A well-formed counterfact file outside the directories: refused for where it is, not for what it holds.
        Path outside = Files.createTempFile("outside", ".json");
        Files.write(outside, Files.readAllBytes(COUNTERFACT));
        Path dir = EvaluationTestResource.testDatasets();
        Path link = dir.resolve("link-" + System.nanoTime() + ".json");
        Files.createSymbolicLink(link, outside);
        for (String path : List.of("/etc/passwd", outside.toString(), "benchmarks/../.emend/admin-key",
                "benchmarks/../pom.xml", dir + "/../../pom.xml", link.toString())) {
            StatusRuntimeException e = rejected(counterfact(1, "FT-M").setDataset(Dataset.newBuilder().setPath(path)
                    .setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT)).build());
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), path + ": " + e.getStatus());
            assertTrue(e.getStatus().getDescription().startsWith("dataset.path") && e.getStatus().getDescription()
                    .contains("dataset-dirs"), e.getStatus().getDescription());
        }
        StatusRuntimeException e = rejected(counterfact(1, "FT-M").setDataset(Dataset.newBuilder().setPath("benchmarks/a\0b.json")
                .setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT)).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = rejected(counterfact(1, "FT-M").setDataset(Dataset.newBuilder().setPath(COUNTERFACT.toString())
                .setContent(com.google.protobuf.ByteString.copyFromUtf8("[]"))
                .setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT)).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("dataset.content"), e.getStatus().getDescription());

        // Inside: a relative path and the repository's absolute path are both accepted; so is uploaded content.
        String relative = evaluation.startRun(counterfact(1, "FT-M").setDataset(Dataset.newBuilder()
                .setPath("benchmarks/emend-facts/counterfact.json").setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT))
                .build()).getId();
        Run uploaded = awaitFinished(evaluation, evaluation.startRun(counterfact(1, "FT-M").setDataset(Dataset.newBuilder()
                .setName("my-upload").setContent(com.google.protobuf.ByteString.copyFrom(Files.readAllBytes(outside)))
                .setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT)).build()).getId());
        Run byPath = awaitFinished(evaluation, relative);
        assertEquals(RunStatus.RUN_STATUS_SUCCEEDED, byPath.getStatus(), byPath.getStatusReason());
        assertEquals(RunStatus.RUN_STATUS_SUCCEEDED, uploaded.getStatus(), uploaded.getStatusReason());
        assertEquals("my-upload", uploaded.getProtocol().getDataset());
        assertEquals(byPath.getProtocol().getDatasetSha256(), uploaded.getProtocol().getDatasetSha256(),
                "the same bytes by path and by upload");
    }

    /** Runs the request to its end over the streaming call; the run, asserted SUCCEEDED. */
    Run succeeded(RunRequest r) {
        Run run = null;
        for (Iterator<EvaluateEvent> it = evaluation.evaluate(r); it.hasNext(); ) {
            EvaluateEvent e = it.next();
            if (e.hasResult()) {
                run = e.getResult();
            }
        }
        assertTrue(run != null, "the stream ended without a result");
        assertEquals(RunStatus.RUN_STATUS_SUCCEEDED, run.getStatus(), run.getStatusReason());
        return run;
    }

    /**
     * A run of the first case of a generation-2 task file with FT-M (or the mastery method named by
     * the system property {@code emend.task.method}); returns its one target's metrics.
     */
    Metrics taskRun(String file, DatasetFormat format) {
        String method = System.getProperty("emend.task.method", "FT-M");
        RunRequest r = RunRequest.newBuilder().setName("task").setLimit(1).setSeed(7)
                .setDataset(Dataset.newBuilder().setPath("benchmarks/emend-facts-2/" + file).setFormat(format))
                .setProtocol(dev.emend.api.v1.ProtocolOptions.newBuilder().setSkipFluency(true))
                .addTargets(Target.newBuilder().setPhase(Phase.PHASE_MASTERY).setMethod(method)).build();
        Metrics m = succeeded(r).getResults(0).getMetrics();
        assertEquals(1, m.getCases(), m.toString());
        System.out.println("pipeline check (" + method + ", 1 case, first-generation model) " + file + ": edit_succ " + m.getEditSucc()
                + ", locality " + m.getLocalityByKeyMap() + ", task metrics " + m.getExtraMap());
        return m;
    }

    /**
     * Erasure, sentiment and long-form runs on the default (first-generation) model, which never saw
     * this material: a pipeline check of the task metrics, not a measurement (one case each, to stay fast).
     */
    @Test
    void taskDatasetsRunWithTheirMetrics() {
        Metrics erasure = taskRun("erasure.json", DatasetFormat.DATASET_FORMAT_SANITATION);
        for (String k : List.of("refusal_generated", "truth_absent_greedy", "truth_absent_sampled")) {
            assertPercent(k, erasure.getExtraOrThrow(k));
        }
        assertTrue(erasure.containsLocalityByKey("Retain"), erasure.toString());
        assertPercent("edit_succ", erasure.getEditSucc());

        Metrics sentiment = taskRun("sentiment.json", DatasetFormat.DATASET_FORMAT_CONVSENT);
        assertPercent("sentiment_greedy", sentiment.getExtraOrThrow("sentiment_greedy"));
        assertPercent("sentiment_sampled", sentiment.getExtraOrThrow("sentiment_sampled"));
        assertTrue(sentiment.containsLocalityByKey("Other_Topics"), sentiment.toString());

        Metrics longform = taskRun("longform.json", DatasetFormat.DATASET_FORMAT_WIKIBIO);
        assertTrue(longform.containsLocalityByKey("Rest_Of_Biography") && longform.containsLocalityByKey("Other_Biographies"),
                longform.toString());
        // fine-tuning on the corrected sentence makes it less surprising
        assertTrue(longform.getExtraOrThrow("ppl_after") < longform.getExtraOrThrow("ppl_before"), longform.toString());
        assertFalse(longform.containsExtra("truth_absent_greedy"));
    }

    @Test
    void badRequestsAreRejectedWithTheFieldAndWhatToDo() throws Exception {
        StatusRuntimeException e = rejected(counterfact(3, "FT-M").setDataset(Dataset.newBuilder()
                .setPath("/nonexistent/cf.json").setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT)).build());
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("/nonexistent/cf.json"), e.getStatus().getDescription());
        e = rejected(counterfact(3, "FT-M").setDataset(Dataset.newBuilder()
                .setPath("benchmarks/emend-facts/no-such.json").setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT)).build());
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());

        Path bad = Files.createTempFile(EvaluationTestResource.testDatasets(), "malformed", ".json");
        Files.writeString(bad, "[{\"subject\": \"A\", \"prompt\": \"A is in\", \"target_new\": \"B\", \"ground_truth\": \"C\"},"
                + " {\"subject\": \"D\", \"prompt\": 42, \"target_new\": \"E\", \"ground_truth\": \"F\"}]");
        e = rejectedStream(counterfact(0, "FT-M").setDataset(Dataset.newBuilder().setPath(bad.toString())
                .setFormat(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT)).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        String msg = e.getStatus().getDescription();
        assertTrue(msg.contains(bad.getFileName().toString()) && msg.contains("record 1") && msg.contains("prompt"), msg);

        e = rejected(counterfact(3, "NO-SUCH-METHOD").build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("NO-SUCH-METHOD") && e.getStatus().getDescription().contains("FT-M"),
                e.getStatus().getDescription());

        // no phase and a method no running phase offers: the methods each phase offers, and who did not answer
        e = rejected(counterfact(3).addTargets(Target.newBuilder().setMethod("NO-SUCH-METHOD")).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("targets[0].method: no phase service offers method 'NO-SUCH-METHOD'")
                && e.getStatus().getDescription().contains("mastery [") && e.getStatus().getDescription().contains("FT-M")
                && e.getStatus().getDescription().contains("not answering"), e.getStatus().getDescription());
        e = rejected(counterfact(3).addTargets(Target.newBuilder().setSpace("some-space")).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("targets[0].phase: required with a space"), e.getStatus().getDescription());

        e = rejected(counterfact(3, "FT-M").clearTargets().addTargets(Target.newBuilder().setPhase(Phase.PHASE_MASTERY)
                .setMethod("FT-M").setHparams(Struct.newBuilder().putFields("no_such_hparam", Value.newBuilder().setNumberValue(1).build()))).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("no_such_hparam"), e.getStatus().getDescription());

        e = rejected(RunRequest.newBuilder().setCases(InlineCases.getDefaultInstance())
                .addTargets(Target.newBuilder().setPhase(Phase.PHASE_MASTERY).setMethod("FT-M")).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("no cases"), e.getStatus().getDescription());

        e = rejected(counterfact(3).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("targets"), e.getStatus().getDescription());

        e = rejected(counterfact(3, "FT-M").setDataset(Dataset.newBuilder().setPath(COUNTERFACT.toString())).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("dataset.format"), e.getStatus().getDescription());

        e = rejected(counterfact(3, "FT-M").setMode(ModeSpec.newBuilder().setMode(EditMode.EDIT_MODE_SEQUENTIAL).addCheckpoints(2).addCheckpoints(2)).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("mode.checkpoints"), e.getStatus().getDescription());

        // A phase whose service does not answer: UNAVAILABLE naming the address and what to start.
        e = rejected(counterfact(3).addTargets(Target.newBuilder().setPhase(Phase.PHASE_RECOGNITION).setMethod("IKE")).build());
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("recognition-service at localhost:"), e.getStatus().getDescription());

        e = assertThrows(StatusRuntimeException.class, () -> evaluation.getRun(GetRunRequest.newBuilder().setRunId("no-such-run").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> evaluation.getRun(GetRunRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> evaluation.listRuns(ListRunsRequest.newBuilder().setPageToken("x").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        // Nothing was stored for rejected requests.
        assertTrue(evaluation.listRuns(ListRunsRequest.newBuilder().setStatus(RunStatus.RUN_STATUS_FAILED).build()).getRunsList().isEmpty());
    }
}
