package dev.emend.cli;

import dev.emend.api.v1.CheckpointMetrics;
import dev.emend.api.v1.Dataset;
import dev.emend.api.v1.DatasetFormat;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EvaluateEvent;
import dev.emend.api.v1.EvaluationGrpc;
import dev.emend.api.v1.Metrics;
import dev.emend.api.v1.ModeSpec;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.Progress;
import dev.emend.api.v1.ProtocolOptions;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.RunStatus;
import dev.emend.api.v1.Target;
import dev.emend.api.v1.TargetResult;
import dev.emend.knowedit.KnowEditFormat;
import dev.emend.knowedit.KnowEditReader;
import dev.emend.knowedit.metrics.MethodMetrics;
import dev.emend.knowedit.metrics.Protocol;
import dev.emend.knowedit.metrics.SequentialSeries;
import dev.emend.knowedit.report.Charts;
import dev.emend.knowedit.metrics.TaskMetrics;
import dev.emend.knowedit.report.KnowEditTable;
import dev.emend.knowedit.report.PublishedResults;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./emend bench}: runs an evaluation on a running evaluation-service (gRPC
 * emend.v1.Evaluation), shows a progress bar on stderr, prints the KnowEdit table (or JSON) on
 * stdout and writes the chart. Starting the services is not its job yet: when nothing answers it
 * says which address it tried and what to start ({@code ./emend up}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Evaluate editing methods on a KnowEdit data set through a running evaluation-service.",
            "Prints Edit Succ / Generalization / Portability / Locality / Fluency per method (KnowEdit definitions) and writes a PNG chart."},
        footerHeading = "%nEnvironment:%n",
        footer = {"  EMEND_EVALUATION_ADDRESS  host:port of evaluation-service (default localhost:8084)"})
final class BenchCommand implements Callable<Integer> {
    enum Mode { single, batch, sequential }

    enum Format { table, json }

    enum PhaseName { recognition, association, mastery }

    @Option(names = "--dataset", required = true, paramLabel = "FILE",
            description = "KnowEdit JSON file (e.g. benchmarks/emend-facts/counterfact.json); its format is detected.")
    Path dataset;

    @Option(names = "--methods", required = true, split = ",", paramLabel = "METHOD",
            description = "Methods, comma-separated (ROME,FT-M,GRACE,IKE). Prefix with a phase to choose it: mastery:ROME.")
    List<String> methods;

    @Option(names = "--mode", defaultValue = "single", description = "single, batch or sequential (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--hparam", paramLabel = "KEY=VALUE",
            description = "Override a hyperparameter of every method benched (repeatable), e.g. --hparam merge_freq=2000; each"
                    + " method must declare it. Numbers, true/false and text; as the API's Target.hparams.")
    Map<String, String> hparams = new java.util.LinkedHashMap<>();

    @Option(names = "--batch-size", defaultValue = "0", description = "Batch size (batch: 0 = all cases; sequential: cases per step, 0 = 1).")
    int batchSize;

    @Option(names = "--checkpoints", split = ",", paramLabel = "T",
            description = "Sequential: numbers of edits after which all edited cases are scored (the total is always one).")
    List<Integer> checkpoints = new ArrayList<>();

    @Option(names = "--limit", defaultValue = "0", description = "Use the first N cases (0 = all).")
    int limit;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of fluency sampling and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--shuffle", description = "Shuffle the cases with --seed before --limit.")
    boolean shuffle;

    @Option(names = "--skip-fluency", description = "Skip the fluency generations (the slowest part).")
    boolean skipFluency;

    @Option(names = "--health", paramLabel = "FILE",
            description = "Also measure general health before and after the edits (batch or sequential mode): perplexity of the"
                    + " file's texts, recall of its facts that no case names, fluency from its prompts. JSON: {\"name\", \"texts\": [...],"
                    + " \"facts\": [{\"prompt\", \"ground_truth\": [...]}], \"fluency_prompts\": [...]}"
                    + " (benchmarks/emend-facts/health.json for the default model).")
    Path health;

    @Option(names = "--phase",
            description = "Phase of the methods given without one (default: the phase whose running service offers the"
                    + " method; the evaluation service asks each phase service's Describe).")
    PhaseName phase;

    @Option(names = "--format", defaultValue = "table", description = "table (Markdown) or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Folder for the table (table.md or table.json) and the charts (default: <repo>/.emend/bench/<run id>/, ignored by git).")
    Path outDir;

    @Option(names = "--chart", paramLabel = "PNG", description = "Where to write the chart instead (default: chart.png in --out).")
    Path chart;

    @Option(names = "--published", description = "Also print the published KnowEdit rows of the dataset's family (Llama-2-7b-chat on "
            + "KnowEdit's own data: another model and other data, for orientation only; each row says so).")
    boolean published;

    @Option(names = "--service", paramLabel = "HOST:PORT",
            description = "evaluation-service address (default: $EMEND_EVALUATION_ADDRESS or localhost:8084).")
    String service;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String address = service != null ? service
                : System.getenv().getOrDefault("EMEND_EVALUATION_ADDRESS", "localhost:8084");
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--service: '" + address + "' is not HOST:PORT");
        }
        String host = address.substring(0, colon);
        int port = Integer.parseInt(address.substring(colon + 1));
        Path file = dataset.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--dataset: " + file + " is not a file");
        }
        RunRequest request = request(file);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        ManagedChannel channel = ManagedChannelBuilder.forAddress(host, port).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
        Run run;
        try {
            try {
                run = follow(channel, request, err, address);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != io.grpc.Status.Code.PERMISSION_DENIED || !request.getDataset().getContent().isEmpty()) {
                    throw e;
                }
                // evaluation-service reads data sets only from its configured folders: send the file instead.
                err.println("emend bench: " + address + " reads data sets only from its own folders; uploading " + file);
                run = follow(channel, withContent(request, file), err, address);
            }
        } catch (StatusRuntimeException e) {
            throw translate(e, address);
        } finally {
            channel.shutdownNow();
        }
        if (run == null) {
            throw new IllegalStateException("evaluation-service at " + address + " ended the stream without a result");
        }
        if (run.getStatus() != RunStatus.RUN_STATUS_SUCCEEDED) {
            throw new IllegalStateException("run " + run.getId() + " " + run.getStatus().name().substring("RUN_STATUS_".length()).toLowerCase(Locale.ROOT)
                    + ": " + run.getStatusReason());
        }

        String name = file.getFileName().toString();
        List<MethodMetrics> rows = new ArrayList<>();
        List<SequentialSeries> series = new ArrayList<>();
        Protocol.Mode pm = Protocol.Mode.valueOf(mode.name().toUpperCase(Locale.ROOT));
        boolean afterAll = run.getProtocol().getHeadline().equals("after_all_edits");
        for (TargetResult r : run.getResultsList()) {
            Protocol p = new Protocol(Protocol.Scoring.TEACHER_FORCED, pm, afterAll ? Protocol.ScoredAfter.ALL_EDITS : Protocol.ScoredAfter.EACH_EDIT,
                    run.getModelFingerprint(), Map.of());
            if (r.getMetrics().getCases() > 0) {
                rows.add(row(r.getLabel(), r.getMetrics(), p));
            }
            List<SequentialSeries.Point> points = new ArrayList<>();
            for (CheckpointMetrics c : r.getCheckpointsList()) {
                if (c.getMetrics().getCases() > 0) {
                    points.add(new SequentialSeries.Point(c.getEditsApplied(), row(r.getLabel(), c.getMetrics(), p)));
                }
            }
            if (!points.isEmpty()) {
                series.add(new SequentialSeries(r.getLabel(), points));
            }
            if (r.getCasesFailed() > 0) {
                err.println("emend bench: " + r.getLabel() + ": " + r.getCasesFailed() + " cases failed (left out of the averages; GetRun with cases shows why)");
            }
        }
        String family = PublishedResults.family(KnowEditReader.detect(file), name);
        List<PublishedResults.Row> reference = published ? labelled(PublishedResults.forDataset(family)) : List.of();
        if (published && reference.isEmpty()) {
            err.println("emend bench: --published: no published rows for '" + family + "' (there are some for every KnowEdit data set: recent, zsre, wikibio, counterfact, convsent, sanitation)");
        }
        String table;
        if (format == Format.json) {
            table = withTaskMetrics(withHealth(KnowEditTable.json(name, rows, reference), run), run) + "\n";
        } else {
            StringBuilder t = new StringBuilder(KnowEditTable.markdown(name, rows, reference));
            for (TargetResult r : run.getResultsList()) {
                t.append(String.format(Locale.ROOT, "%s: %.2f s per edit%n", r.getLabel(), r.getSecondsPerEdit()));
            }
            t.append(taskTable(run));
            t.append(healthTable(run));
            table = t.toString();
        }
        out.print(table);
        out.flush();
        Path dir = (outDir != null ? outDir : EmendCli.repoRoot().resolve(".emend/bench").resolve(run.getId())).toAbsolutePath().normalize();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(format == Format.json ? "table.json" : "table.md"), table);
        err.println("emend bench: table " + dir.resolve(format == Format.json ? "table.json" : "table.md"));
        if (!rows.isEmpty()) {
            Path png = (chart != null ? chart : dir.resolve("chart.png")).toAbsolutePath();
            Charts.writeMethodBars(png, name + " (" + rows.get(0).n() + " cases, " + mode + ")", rows, 900, 500);
            err.println("emend bench: chart " + png);
            if (!series.isEmpty()) {
                Path seq = png.resolveSibling(png.getFileName().toString().replaceFirst("\\.png$", "") + "-sequential.png");
                Charts.writeSequentialLines(seq, name + ": sequential editing", series, 1000, 700);
                err.println("emend bench: chart " + seq);
            }
        }
        err.println("emend bench: run " + run.getId() + " — " + run.getStatusReason());
        err.flush();
        return 0;
    }

    /**
     * The published rows with the model and data set in each row's name, so that no row can be
     * read as a result on the user's data: "ROME (published: Llama-2-7b-chat, KnowEdit counterfact)".
     */
    static List<PublishedResults.Row> labelled(List<PublishedResults.Row> rows) {
        return rows.stream().map(r -> new PublishedResults.Row(r.dataset(), r.method() + " (published: " + PublishedResults.MODEL
                + ", KnowEdit " + r.dataset() + ")", r.editSucc(), r.generalization(), r.portability(), r.locality(), r.fluency())).toList();
    }

    /** Streams one run's events, printing progress on {@code err}; the final run or null. */
    private static Run follow(ManagedChannel channel, RunRequest request, PrintWriter err, String address) {
        Iterator<EvaluateEvent> events = EvaluationGrpc.newBlockingStub(channel).withDeadlineAfter(24, TimeUnit.HOURS).evaluate(request);
        String runId = null;
        Run run = null;
        while (events.hasNext()) {
            EvaluateEvent e = events.next();
            if (runId == null) {
                runId = e.getRunId();
                err.println("emend bench: run " + runId + " on " + address);
            }
            if (e.hasProgress()) {
                err.print("\r" + bar(e.getProgress()));
                err.flush();
            } else if (e.hasResult()) {
                run = e.getResult();
            }
        }
        err.println();
        return run;
    }

    /** The general-health rows of a run as Markdown ("" when it measured none): before → after per target. */
    static String healthTable(Run run) {
        StringBuilder t = new StringBuilder();
        for (TargetResult r : run.getResultsList()) {
            if (!r.hasGeneralHealth()) {
                continue;
            }
            var h = r.getGeneralHealth();
            if (t.length() == 0) {
                t.append(String.format(Locale.ROOT, "%nGeneral health (%s; %d texts, %d untouched facts, %d fluency prompts),"
                        + " unedited → after the edits:%n%n| method | edits | perplexity | untouched-fact recall | fluency |%n"
                        + "|---|---:|---:|---:|---:|%n", h.getHealthSet(), h.getAfter().getTexts(), h.getAfter().getFacts(),
                        h.getAfter().getFluencyPrompts()));
            }
            t.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s |%n", r.getLabel(), h.getEditsApplied(),
                    change(h.getBefore().hasPerplexity(), h.getBefore().getPerplexity(), h.getAfter().getPerplexity(), "%.2f"),
                    change(h.getBefore().hasFactRecall(), h.getBefore().getFactRecall(), h.getAfter().getFactRecall(), "%.1f"),
                    change(h.getBefore().hasFluency(), h.getBefore().getFluency(), h.getAfter().getFluency(), "%.1f")));
        }
        return t.toString();
    }

    private static String change(boolean measured, double before, double after, String format) {
        return measured ? String.format(Locale.ROOT, format + " → " + format, before, after) : "–";
    }

    /**
     * The task metrics of an erasure, sentiment or long-form run (Metrics.extra) as Markdown, a
     * column per metric the run has and a legend ("" when it has none).
     */
    static String taskTable(Run run) {
        List<String> keys = TaskMetrics.DESCRIPTIONS.keySet().stream()
                .filter(k -> run.getResultsList().stream().anyMatch(r -> r.getMetrics().containsExtra(k))).toList();
        if (keys.isEmpty()) {
            return "";
        }
        StringBuilder t = new StringBuilder(String.format("%nTask metrics:%n%n| method | " + String.join(" | ", keys) + " |%n|---|"
                + "---:|".repeat(keys.size()) + "%n"));
        for (TargetResult r : run.getResultsList()) {
            t.append("| ").append(r.getLabel()).append(" |");
            for (String k : keys) {
                t.append(r.getMetrics().containsExtra(k) ? String.format(Locale.ROOT, " %.2f |", r.getMetrics().getExtraOrThrow(k)) : " – |");
            }
            t.append(String.format("%n"));
        }
        t.append(String.format("%n"));
        keys.forEach(k -> t.append(String.format("- %s: %s%n", k, TaskMetrics.DESCRIPTIONS.get(k))));
        return t.toString();
    }

    /** The table's JSON with {@code "task_metrics": {label: {key: value}}} added when the run has any. */
    static String withTaskMetrics(String json, Run run) {
        com.google.gson.JsonObject tasks = new com.google.gson.JsonObject();
        for (TargetResult r : run.getResultsList()) {
            if (r.getMetrics().getExtraCount() > 0) {
                com.google.gson.JsonObject m = new com.google.gson.JsonObject();
                new java.util.TreeMap<>(r.getMetrics().getExtraMap()).forEach(m::addProperty);
                tasks.add(r.getLabel(), m);
            }
        }
        if (tasks.size() == 0) {
            return json;
        }
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        o.add("task_metrics", tasks);
        return new com.google.gson.GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o);
    }

    /** The table's JSON with {@code "general_health": {label: GeneralHealth}} added when the run measured it. */
    static String withHealth(String json, Run run) {
        com.google.gson.JsonObject health = new com.google.gson.JsonObject();
        for (TargetResult r : run.getResultsList()) {
            if (r.hasGeneralHealth()) {
                try {
                    health.add(r.getLabel(), com.google.gson.JsonParser.parseString(com.google.protobuf.util.JsonFormat.printer()
                            .preservingProtoFieldNames().print(r.getGeneralHealth())));
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        if (health.size() == 0) {
            return json;
        }
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        o.add("general_health", health);
        return new com.google.gson.GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o);
    }

    /** A health set file (see --health) as the request's HealthSet; its name is the file name unless it has one. */
    static dev.emend.api.v1.HealthSet readHealth(Path file) {
        Path f = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("--health: " + f + " is not a file");
        }
        dev.emend.api.v1.HealthSet.Builder b = dev.emend.api.v1.HealthSet.newBuilder();
        try {
            com.google.protobuf.util.JsonFormat.parser().merge(Files.readString(f), b);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("--health: " + f + " is not a health set (" + e.getMessage() + "); expected {\"name\","
                    + " \"texts\": [...], \"facts\": [{\"prompt\": ..., \"ground_truth\": [...]}], \"fluency_prompts\": [...]}");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("--health: cannot read " + f, e);
        }
        if (b.getName().isBlank()) {
            b.setName(f.getFileName().toString());
        }
        return b.build();
    }

    /** The same request with the data set's bytes uploaded instead of its path. */
    static RunRequest withContent(RunRequest request, Path file) {
        try {
            Dataset d = request.getDataset().toBuilder().clearPath().setName(file.getFileName().toString())
                    .setContent(com.google.protobuf.ByteString.copyFrom(Files.readAllBytes(file))).build();
            return request.toBuilder().setDataset(d).build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("--dataset: cannot read " + file, e);
        }
    }

    RunRequest request(Path file) throws java.io.IOException {
        KnowEditFormat f = KnowEditReader.detect(file);
        RunRequest.Builder b = RunRequest.newBuilder().setName("emend bench " + file.getFileName())
                .setDataset(Dataset.newBuilder().setPath(file.toString()).setFormat(datasetFormat(f)))
                .setMode(ModeSpec.newBuilder().setMode(switch (mode) {
                    case single -> EditMode.EDIT_MODE_SINGLE;
                    case batch -> EditMode.EDIT_MODE_BATCH;
                    case sequential -> EditMode.EDIT_MODE_SEQUENTIAL;
                }).setBatchSize(batchSize).addAllCheckpoints(checkpoints))
                .setProtocol(ProtocolOptions.newBuilder().setSkipFluency(skipFluency))
                .setLimit(limit).setSeed(seed).setShuffle(shuffle);
        if (health != null) {
            b.setHealth(readHealth(health));
        }
        for (String m : methods) {
            String spec = m.trim();
            if (spec.isEmpty()) {
                throw new IllegalArgumentException("--methods: empty method name in '" + String.join(",", methods) + "'");
            }
            Phase p;
            int c = spec.indexOf(':');
            if (c > 0) {
                p = phaseOf(spec.substring(0, c));
                spec = spec.substring(c + 1);
            } else {
                // unset: the evaluation service resolves it from the phase services' method registries
                p = phase == null ? Phase.PHASE_UNSPECIFIED : phaseOf(phase.name());
            }
            b.addTargets(Target.newBuilder().setPhase(p).setMethod(spec).setHparams(hparamStruct()));
        }
        return b.build();
    }

    private com.google.protobuf.Struct hparamStruct() {
        com.google.protobuf.Struct.Builder st = com.google.protobuf.Struct.newBuilder();
        hparams.forEach((k, v) -> {
            if (k.isBlank()) {
                throw new IllegalArgumentException("--hparam: empty key in '" + k + "=" + v + "'; write KEY=VALUE");
            }
            com.google.protobuf.Value.Builder val = com.google.protobuf.Value.newBuilder();
            Object parsed = dev.emend.cli.remote.EditCommand.value(v);
            if (parsed instanceof Boolean bool) {
                val.setBoolValue(bool);
            } else if (parsed instanceof Number num) {
                val.setNumberValue(num.doubleValue());
            } else {
                val.setStringValue(v);
            }
            st.putFields(k, val.build());
        });
        return st.build();
    }

    static Phase phaseOf(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "recognition" -> Phase.PHASE_RECOGNITION;
            case "association" -> Phase.PHASE_ASSOCIATION;
            case "mastery" -> Phase.PHASE_MASTERY;
            default -> throw new IllegalArgumentException("--methods: unknown phase '" + name + "' (recognition, association or mastery)");
        };
    }

    static DatasetFormat datasetFormat(KnowEditFormat f) {
        return switch (f) {
            case WIKIDATA_RECENT -> DatasetFormat.DATASET_FORMAT_WIKIDATA_RECENT;
            case ZSRE -> DatasetFormat.DATASET_FORMAT_ZSRE;
            case WIKIBIO -> DatasetFormat.DATASET_FORMAT_WIKIBIO;
            case WIKIDATA_COUNTERFACT -> DatasetFormat.DATASET_FORMAT_WIKIDATA_COUNTERFACT;
            case CONVSENT -> DatasetFormat.DATASET_FORMAT_CONVSENT;
            case SANITATION -> DatasetFormat.DATASET_FORMAT_SANITATION;
        };
    }

    static MethodMetrics row(String label, Metrics m, Protocol p) {
        return new MethodMetrics(label, m.hasEditSucc() ? m.getEditSucc() : null, m.hasGeneralization() ? m.getGeneralization() : null,
                m.hasPortability() ? m.getPortability() : null, m.hasLocality() ? m.getLocality() : null,
                m.hasFluency() ? m.getFluency() : null, m.hasEditSuccExactMatch() ? m.getEditSuccExactMatch() : null, m.getCases(), p);
    }

    /** "[#########...........]  45/100 cases  ROME editing  elapsed 1m05s  ETA 1m20s" */
    static String bar(Progress p) {
        int width = 30;
        double frac = p.getCasesTotal() == 0 ? 0 : (double) p.getCasesDone() / p.getCasesTotal();
        int full = (int) Math.round(frac * width);
        return String.format(Locale.ROOT, "[%s%s] %d/%d cases  %s %s  elapsed %s  ETA %s   ", "#".repeat(full), ".".repeat(width - full),
                p.getCasesDone(), p.getCasesTotal(), p.getCurrentMethod(), p.getStage(), duration(p.getElapsedSeconds()),
                p.getEtaSeconds() > 0 ? duration(p.getEtaSeconds()) : "?");
    }

    static String duration(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
    }

    /** gRPC errors as the exceptions EmendCli maps to exit codes, with what to do. */
    static RuntimeException translate(StatusRuntimeException e, String address) {
        Status s = e.getStatus();
        String d = s.getDescription() == null ? "" : s.getDescription();
        return switch (s.getCode()) {
            case INVALID_ARGUMENT, NOT_FOUND -> new IllegalArgumentException(d);
            case UNAVAILABLE -> d.contains("did not answer")
                    ? new IllegalStateException(d) // a phase service the run needs is down (the message names it)
                    : new IllegalStateException("no evaluation-service answers at " + address + " (" + s.getCode()
                    + (d.isEmpty() ? "" : ": " + d) + "). Start the local stack with ./emend up, or start it alone: java -jar evaluation-service/target/quarkus-app/quarkus-run.jar "
                    + "(PostgreSQL via EMEND_DB_URL/EMEND_DB_USER/EMEND_DB_PASSWORD; it drives the phase services, e.g. mastery-service on "
                    + "localhost:8083), or point --service / EMEND_EVALUATION_ADDRESS at a running one");
            default -> new IllegalStateException("evaluation-service at " + address + ": " + s.getCode() + (d.isEmpty() ? "" : ": " + d));
        };
    }
}
