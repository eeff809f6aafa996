package dev.emend.cli;

import dev.emend.api.v1.DatasetFormat;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.Progress;
import dev.emend.api.v1.RunRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    static final Path COUNTERFACT = EmendCli.repoRoot().resolve("benchmarks/emend-facts/counterfact.json");

    @Test
    void buildsTheRunRequestFromTheOptions() throws Exception {
        BenchCommand c = new BenchCommand();
        new CommandLine(c).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--dataset", COUNTERFACT.toString(),
                "--methods", "ROME,FT-M,IKE,association:MyAdapter", "--mode", "sequential", "--checkpoints", "1,5", "--limit", "10");
        RunRequest r = c.request(COUNTERFACT);
        assertEquals(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT, r.getDataset().getFormat());
        assertEquals(EditMode.EDIT_MODE_SEQUENTIAL, r.getMode().getMode());
        assertEquals(java.util.List.of(1, 5), r.getMode().getCheckpointsList());
        assertEquals(10, r.getLimit());
        assertEquals(4, r.getTargetsCount());
        // no name map on this side: a method without a phase is resolved by the evaluation service
        // from the phase services' method registries (Describe)
        assertEquals(Phase.PHASE_UNSPECIFIED, r.getTargets(0).getPhase());
        assertEquals(Phase.PHASE_UNSPECIFIED, r.getTargets(2).getPhase());
        assertEquals(Phase.PHASE_ASSOCIATION, r.getTargets(3).getPhase());
        assertEquals("MyAdapter", r.getTargets(3).getMethod());

        BenchCommand withPhase = new BenchCommand();
        new CommandLine(withPhase).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--dataset", COUNTERFACT.toString(),
                "--methods", "NEAREST,mastery:ROME", "--phase", "recognition");
        RunRequest p = withPhase.request(COUNTERFACT);
        assertEquals(Phase.PHASE_RECOGNITION, p.getTargets(0).getPhase(), "--phase applies to methods given without one");
        assertEquals(Phase.PHASE_MASTERY, p.getTargets(1).getPhase());
        assertEquals(0, p.getTargets(0).getHparams().getFieldsCount(), "no --hparam, no overrides");
    }

    @Test
    void hparamOverridesGoToEveryTargetWithTheirJsonTypes() throws Exception {
        BenchCommand c = new BenchCommand();
        new CommandLine(c).parseArgs("--dataset", COUNTERFACT.toString(), "--methods", "WISE,GRACE",
                "--hparam", "merge_freq=2000", "--hparam", "edit_lr=0.5", "--hparam", "retrieve=true", "--hparam", "name=x1");
        RunRequest r = c.request(COUNTERFACT);
        for (int t = 0; t < 2; t++) {
            var f = r.getTargets(t).getHparams().getFieldsMap();
            assertEquals(2000.0, f.get("merge_freq").getNumberValue());
            assertEquals(0.5, f.get("edit_lr").getNumberValue());
            assertTrue(f.get("retrieve").getBoolValue());
            assertEquals("x1", f.get("name").getStringValue());
        }
        BenchCommand bad = new BenchCommand();
        new CommandLine(bad).parseArgs("--dataset", COUNTERFACT.toString(), "--methods", "WISE", "--hparam", "=3");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> bad.request(COUNTERFACT));
        assertTrue(e.getMessage().contains("--hparam"), e.getMessage());
    }

    @Test
    void theHealthSetFileGoesIntoTheRequestAndItsFiguresIntoTheTables() throws Exception {
        Path health = EmendCli.repoRoot().resolve("benchmarks/emend-facts/health.json");
        BenchCommand c = new BenchCommand();
        new CommandLine(c).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--dataset", COUNTERFACT.toString(),
                "--methods", "ROME", "--mode", "sequential", "--health", health.toString());
        RunRequest r = c.request(COUNTERFACT);
        assertEquals(200, r.getHealth().getTextsCount());
        assertEquals(300, r.getHealth().getFactsCount());
        assertEquals(20, r.getHealth().getFluencyPromptsCount());
        assertTrue(r.getHealth().getName().startsWith("emend-facts/health.json"), r.getHealth().getName());
        assertEquals(1, r.getHealth().getFacts(0).getGroundTruthCount());

        Path bad = java.nio.file.Files.createTempFile("health", ".json");
        java.nio.file.Files.writeString(bad, "{\"texts\": \"not a list\"}");
        BenchCommand wrong = new BenchCommand();
        new CommandLine(wrong).parseArgs("--dataset", COUNTERFACT.toString(), "--methods", "ROME", "--health", bad.toString());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> wrong.request(COUNTERFACT));
        assertTrue(e.getMessage().startsWith("--health: ") && e.getMessage().contains("fluency_prompts"), e.getMessage());

        var figures = dev.emend.api.v1.HealthFigures.newBuilder().setPerplexity(3.5).setFactRecall(98).setTexts(200).setFacts(290);
        var result = dev.emend.api.v1.TargetResult.newBuilder().setLabel("ROME").setGeneralHealth(dev.emend.api.v1.GeneralHealth
                .newBuilder().setBefore(figures).setAfter(figures.clone().setPerplexity(4.25).setFactRecall(91.5))
                .setEditsApplied(100).setHealthSet("h.json")).build();
        var run = dev.emend.api.v1.Run.newBuilder().addResults(result).build();
        String table = BenchCommand.healthTable(run);
        assertTrue(table.contains("| ROME | 100 | 3.50 → 4.25 | 98.0 → 91.5 | – |"), table);
        String json = BenchCommand.withHealth("{\"dataset\": \"cf\"}", run);
        var o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        assertEquals(4.25, o.getAsJsonObject("general_health").getAsJsonObject("ROME").getAsJsonObject("after")
                .get("perplexity").getAsDouble());
        assertEquals("", BenchCommand.healthTable(dev.emend.api.v1.Run.getDefaultInstance()));
    }

    @Test
    void taskMetricsGetATableWithALegendAndAJsonObject() {
        var m = dev.emend.api.v1.Metrics.newBuilder().setCases(2).putExtra("ppl_after", 3.25).putExtra("ppl_before", 12.5);
        var run = dev.emend.api.v1.Run.newBuilder()
                .addResults(dev.emend.api.v1.TargetResult.newBuilder().setLabel("FT-M").setMetrics(m))
                .addResults(dev.emend.api.v1.TargetResult.newBuilder().setLabel("ROME").setMetrics(m.clone().removeExtra("ppl_after"))).build();
        String table = BenchCommand.taskTable(run);
        // columns in TaskMetrics.DESCRIPTIONS order: before, then after
        assertTrue(table.contains("| method | ppl_before | ppl_after |"), table);
        assertTrue(table.contains("| FT-M | 12.50 | 3.25 |") && table.contains("| ROME | 12.50 | – |"), table);
        assertTrue(table.contains("- ppl_after: perplexity of the edited sentence after the edit"), table);
        var o = com.google.gson.JsonParser.parseString(BenchCommand.withTaskMetrics("{\"dataset\": \"longform.json\"}", run))
                .getAsJsonObject();
        assertEquals(3.25, o.getAsJsonObject("task_metrics").getAsJsonObject("FT-M").get("ppl_after").getAsDouble());
        assertEquals("", BenchCommand.taskTable(dev.emend.api.v1.Run.getDefaultInstance()));
    }

    @Test
    void aFileTheServiceMayNotReadIsUploadedInsteadOfItsPath() throws Exception {
        BenchCommand c = new BenchCommand();
        new CommandLine(c).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--dataset", COUNTERFACT.toString(), "--methods", "FT-M");
        RunRequest byPath = c.request(COUNTERFACT);
        assertEquals(COUNTERFACT.toString(), byPath.getDataset().getPath());
        assertTrue(byPath.getDataset().getContent().isEmpty());
        RunRequest uploaded = BenchCommand.withContent(byPath, COUNTERFACT);
        assertEquals("", uploaded.getDataset().getPath());
        assertEquals("counterfact.json", uploaded.getDataset().getName());
        assertEquals(DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT, uploaded.getDataset().getFormat());
        assertTrue(java.util.Arrays.equals(java.nio.file.Files.readAllBytes(COUNTERFACT), uploaded.getDataset().getContent().toByteArray()));
        assertEquals(byPath.getTargetsList(), uploaded.getTargetsList());
    }

    @Test
    void publishedRowsNameTheirModelAndDataset() {
        var rows = BenchCommand.labelled(dev.emend.knowedit.report.PublishedResults.forDataset("counterfact"));
        assertEquals(8, rows.size());
        assertTrue(rows.stream().allMatch(r -> r.method().endsWith(" (published: Llama-2-7b-chat, KnowEdit counterfact)")), rows.toString());
        assertTrue(rows.stream().anyMatch(r -> r.method().startsWith("ROME (published")));
        String md = dev.emend.knowedit.report.KnowEditTable.markdown("counterfact.json", java.util.List.of(), rows);
        assertTrue(md.contains("| FT-M (published: Llama-2-7b-chat, KnowEdit counterfact) | 100.00 |"), md);
    }

    @Test
    void progressBarShowsCasesAndEta() {
        String bar = BenchCommand.bar(Progress.newBuilder().setCasesDone(5).setCasesTotal(10).setCurrentMethod("ROME")
                .setStage("editing").setElapsedSeconds(65).setEtaSeconds(65).build());
        assertTrue(bar.startsWith("[###############...............] 5/10 cases  ROME editing  elapsed 1m05s  ETA 1m05s"), bar);
    }

    @Test
    void nothingListeningGivesTheAddressAndWhatToStart() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        CommandLine cl = EmendCli.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute("bench", "--dataset", COUNTERFACT.toString(), "--methods", "FT-M", "--limit", "1",
                "--service", "localhost:" + port);
        assertEquals(1, code);
        String msg = err.toString();
        assertTrue(msg.contains("no evaluation-service answers at localhost:" + port) && msg.contains("quarkus-run.jar"), msg);
    }

    @Test
    void aMissingDatasetIsBadInput() {
        StringWriter err = new StringWriter();
        CommandLine cl = EmendCli.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("bench", "--dataset", "/nonexistent.json", "--methods", "FT-M");
        assertEquals(2, code);
        assertTrue(err.toString().contains("--dataset: /nonexistent.json is not a file"), err.toString());
    }
}
