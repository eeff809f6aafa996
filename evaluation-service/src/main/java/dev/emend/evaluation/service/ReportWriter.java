package dev.emend.evaluation.service;

import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.TargetResult;
import dev.emend.knowedit.metrics.MethodMetrics;
import dev.emend.knowedit.metrics.SequentialSeries;
import dev.emend.knowedit.report.Charts;
import dev.emend.knowedit.report.KnowEditTable;
import dev.emend.knowedit.report.PublishedResults;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a finished run's reports with the library: {@code report.md} and {@code report.json}
 * (the KnowEdit table, with the published Llama-2-7b-chat rows where the data set has them),
 * {@code chart.png} (grouped bars per method) and, for sequential runs, {@code sequential.png}
 * (metrics vs number of edits). One folder per run under emend.evaluation.reports-dir.
 */
@ApplicationScoped
public class ReportWriter {
    @ConfigProperty(name = "emend.evaluation.reports-dir")
    String reportsDir;

    public Path write(String runId, RunPlan plan, List<TargetResult> results) throws IOException {
        Path dir = Path.of(reportsDir).resolve(runId).toAbsolutePath().normalize();
        Files.createDirectories(dir);
        List<MethodMetrics> rows = new ArrayList<>();
        List<SequentialSeries> series = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            TargetResult r = results.get(i);
            RunPlan.TargetPlan t = plan.targets().get(i);
            MethodMetrics row = row(plan, t, r);
            if (row != null) {
                rows.add(row);
            }
            if (plan.mode() == EditMode.EDIT_MODE_SEQUENTIAL) {
                series.add(RunExecutor.series(plan, t, r));
            }
        }
        String family = familyOf(plan);
        List<PublishedResults.Row> published = PublishedResults.forDataset(family);
        Files.writeString(dir.resolve("report.md"), "# Evaluation " + runId + " — " + plan.datasetName() + "\n\n"
                + KnowEditTable.markdown(plan.datasetName(), rows, published));
        Files.writeString(dir.resolve("report.json"), KnowEditTable.json(plan.datasetName(), rows, published));
        if (!rows.isEmpty()) {
            Charts.writeMethodBars(dir.resolve("chart.png"), plan.datasetName() + " (" + rows.get(0).n() + " cases)", rows, 900, 500);
        }
        if (series.stream().anyMatch(s -> !s.points().isEmpty())) {
            Charts.writeSequentialLines(dir.resolve("sequential.png"), plan.datasetName() + ": sequential editing", series, 1000, 700);
        }
        return dir;
    }

    /** The library's table row of a target's headline metrics; null when nothing was measured. */
    static MethodMetrics row(RunPlan plan, RunPlan.TargetPlan t, TargetResult r) {
        var m = r.getMetrics();
        if (m.getCases() == 0) {
            return null;
        }
        return new MethodMetrics(t.label(), m.hasEditSucc() ? m.getEditSucc() : null, m.hasGeneralization() ? m.getGeneralization() : null,
                m.hasPortability() ? m.getPortability() : null, m.hasLocality() ? m.getLocality() : null,
                m.hasFluency() ? m.getFluency() : null, m.hasEditSuccExactMatch() ? m.getEditSuccExactMatch() : null, m.getCases(),
                RunExecutor.protocol(plan, t, r.getEffectiveHparams(), plan.protocol().getHeadline().equals("after_all_edits")));
    }

    /** The published rows' data set (PublishedResults.family) of the run's format. */
    private static String familyOf(RunPlan plan) {
        var f = plan.protocol().getDatasetFormat();
        boolean known = f != dev.emend.api.v1.DatasetFormat.DATASET_FORMAT_UNSPECIFIED
                && f != dev.emend.api.v1.DatasetFormat.DATASET_FORMAT_EMEND_FACTS
                && f != dev.emend.api.v1.DatasetFormat.UNRECOGNIZED;
        return PublishedResults.family(known ? RunPlanner.knowEdit(f) : null, plan.datasetName());
    }
}
