package dev.emend.evaluation.service;

import dev.emend.api.v1.DatasetFormat;
import dev.emend.api.v1.DescribeResponse;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.HparamSpec;
import dev.emend.api.v1.MethodInfo;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.ProtocolRecord;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.ScoreSchedule;
import dev.emend.api.v1.ScoringMethod;
import dev.emend.api.v1.Space;
import dev.emend.api.v1.Target;
import dev.emend.evaluation.client.PhaseEditors;
import dev.emend.evaluation.client.TransientPhaseException;
import dev.emend.knowedit.KnowEditDataset;
import dev.emend.knowedit.KnowEditFormat;
import dev.emend.knowedit.KnowEditFormatException;
import dev.emend.knowedit.KnowEditReader;
import dev.emend.knowedit.TaskCases;
import dev.emend.evaluation.mapping.Protos;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Validates a {@link RunRequest} against evaluation.proto's rules and the phase services'
 * descriptions, and resolves every default into a {@link RunPlan}. Throws {@link RunRejected}
 * with the status code the proto names for each problem.
 */
@ApplicationScoped
public class RunPlanner {
    static final int DEFAULT_FLUENCY_TOKENS = 100;
    static final int DEFAULT_FLUENCY_TOP_K = 5;
    static final String TOKENIZATION = "leading space; prompt + ' ' + target";

    @Inject
    PhaseEditors phases;

    @Inject
    DatasetPaths datasetPaths;

    public RunPlan plan(RunRequest r) {
        // --- cases
        String datasetName;
        DatasetFormat format;
        String sha;
        KnowEditFormat task = null;
        List<EditRequest> cases = new ArrayList<>();
        switch (r.getSourceCase()) {
            case DATASET -> {
                var ds = r.getDataset();
                boolean uploaded = !ds.getContent().isEmpty();
                if (ds.getPath().isBlank() == !uploaded) {
                    throw RunRejected.invalid(uploaded ? "dataset.content" : "dataset.path", uploaded
                            ? "give either a path or the content, not both"
                            : "required: the JSON file to read (in a data set directory), or its content");
                }
                format = ds.getFormat();
                if (format == DatasetFormat.DATASET_FORMAT_UNSPECIFIED || format == DatasetFormat.UNRECOGNIZED) {
                    throw RunRejected.invalid("dataset.format", "required: one of " + formats());
                }
                KnowEditFormat knowEdit = format == DatasetFormat.DATASET_FORMAT_EMEND_FACTS ? null : knowEdit(format);
                String name = uploaded ? (ds.getName().isBlank() ? "uploaded.json" : ds.getName()) : null;
                Path file = uploaded ? null : datasetPaths.resolve(ds.getPath());
                String label = uploaded ? name : file.getFileName().toString();
                KnowEditDataset data;
                try {
                    byte[] bytes = uploaded ? ds.getContent().toByteArray() : Files.readAllBytes(file);
                    data = KnowEditReader.read(label, bytes, knowEdit);
                    sha = sha256(bytes);
                } catch (KnowEditFormatException e) {
                    throw RunRejected.invalid("dataset", e.getMessage());
                } catch (java.nio.file.InvalidPathException e) {
                    throw RunRejected.invalid("dataset.name", "'" + name + "' cannot name a file: " + e.getReason());
                } catch (IOException e) {
                    throw RunRejected.invalid("dataset.path", "cannot read " + label + ": " + e.getMessage());
                }
                datasetName = ds.getName().isBlank() ? label : ds.getName();
                task = data.format();
                // Sanitation's retain lists and ConvSent's other topics become per-case locality probes.
                TaskCases.withTaskLocality(data).forEach(c -> cases.add(Protos.editRequest(c)));
            }
            case CASES -> {
                format = DatasetFormat.DATASET_FORMAT_EMEND_FACTS;
                datasetName = "inline";
                List<EditRequest> in = r.getCases().getCasesList();
                for (int i = 0; i < in.size(); i++) {
                    EditRequest c = in.get(i);
                    if (c.getPrompt().isBlank()) {
                        throw RunRejected.invalid("cases.cases[" + i + "].prompt", "required");
                    }
                    if (c.getTargetNew().isBlank()) {
                        throw RunRejected.invalid("cases.cases[" + i + "].target_new", "required");
                    }
                    cases.add(c.getCaseId().isBlank() ? c.toBuilder().setCaseId("inline#" + i).build() : c);
                }
                sha = sha256(r.getCases().toByteArray());
            }
            default -> throw RunRejected.invalid("dataset", "give a data set file (dataset) or inline cases (cases)");
        }
        if (r.getLimit() < 0) {
            throw RunRejected.invalid("limit", "must be >= 0 (0 = all cases), got " + r.getLimit());
        }
        if (r.getShuffle()) {
            Collections.shuffle(cases, new Random(r.getSeed()));
        }
        if (r.getLimit() > 0 && r.getLimit() < cases.size()) {
            cases.subList(r.getLimit(), cases.size()).clear();
        }
        for (int i = 0; i < cases.size(); i++) {
            if (cases.get(i).getCaseId().isBlank()) {
                cases.set(i, cases.get(i).toBuilder().setCaseId(datasetName + "#" + i).build());
            }
        }
        if (cases.isEmpty()) {
            throw RunRejected.invalid(r.hasCases() ? "cases.cases" : "dataset", "no cases to evaluate");
        }

        // --- mode
        EditMode mode = r.getMode().getMode();
        if (mode == EditMode.EDIT_MODE_UNSPECIFIED) {
            mode = EditMode.EDIT_MODE_SINGLE;
        }
        if (mode == EditMode.UNRECOGNIZED) {
            throw RunRejected.invalid("mode.mode", "unknown mode");
        }
        int bs = r.getMode().getBatchSize();
        if (bs < 0) {
            throw RunRejected.invalid("mode.batch_size", "must be >= 0, got " + bs);
        }
        int n = cases.size();
        int batchSize = switch (mode) {
            case EDIT_MODE_SINGLE -> 1;
            case EDIT_MODE_BATCH -> bs == 0 ? n : Math.min(bs, n);
            default -> bs == 0 ? 1 : Math.min(bs, n);
        };
        List<Integer> checkpoints = new ArrayList<>(r.getMode().getCheckpointsList());
        if (mode != EditMode.EDIT_MODE_SEQUENTIAL && !checkpoints.isEmpty()) {
            throw RunRejected.invalid("mode.checkpoints", "only for EDIT_MODE_SEQUENTIAL");
        }
        for (int i = 0; i < checkpoints.size(); i++) {
            int t = checkpoints.get(i);
            if (t < 1 || t > n) {
                throw RunRejected.invalid("mode.checkpoints[" + i + "]", t + " is outside 1.." + n + " (the number of cases)");
            }
            if (i > 0 && t <= checkpoints.get(i - 1)) {
                throw RunRejected.invalid("mode.checkpoints", "must be strictly increasing, got " + checkpoints);
            }
            if (t % batchSize != 0 && t != n) {
                throw RunRejected.invalid("mode.checkpoints[" + i + "]", t + " is not a multiple of the step size " + batchSize);
            }
        }
        if (mode == EditMode.EDIT_MODE_SEQUENTIAL && (checkpoints.isEmpty() || checkpoints.get(checkpoints.size() - 1) != n)) {
            checkpoints.add(n);
        }

        // --- protocol
        ScoreSchedule schedule = r.getProtocol().getSchedule();
        if (schedule == ScoreSchedule.UNRECOGNIZED) {
            throw RunRejected.invalid("protocol.schedule", "unknown schedule");
        }
        if (mode == EditMode.EDIT_MODE_SEQUENTIAL) {
            if (schedule == ScoreSchedule.SCORE_SCHEDULE_UNSPECIFIED) {
                schedule = ScoreSchedule.SCORE_SCHEDULE_BOTH;
            }
        } else if (schedule == ScoreSchedule.SCORE_SCHEDULE_UNSPECIFIED || schedule == ScoreSchedule.SCORE_SCHEDULE_AFTER_EACH_EDIT) {
            schedule = ScoreSchedule.SCORE_SCHEDULE_AFTER_EACH_EDIT;
        } else {
            throw RunRejected.invalid("protocol.schedule", schedule.name() + " needs EDIT_MODE_SEQUENTIAL: single and batch "
                    + "edits are each scored on their own clean space (use AFTER_EACH_EDIT or leave it unset)");
        }
        Set<ScoringMethod> scoring = new LinkedHashSet<>(r.getProtocol().getScoringList());
        if (scoring.contains(ScoringMethod.SCORING_METHOD_UNSPECIFIED) || scoring.contains(ScoringMethod.UNRECOGNIZED)) {
            throw RunRejected.invalid("protocol.scoring", "contains an unset or unknown scoring method");
        }
        if (scoring.isEmpty()) {
            scoring.add(ScoringMethod.SCORING_METHOD_TEACHER_FORCED);
            scoring.add(ScoringMethod.SCORING_METHOD_GENERATED_EXACT_MATCH);
        }
        int fluencyTokens = r.getProtocol().getFluencyMaxTotalTokens();
        int topK = r.getProtocol().getFluencyTopK();
        if (fluencyTokens < 0) {
            throw RunRejected.invalid("protocol.fluency_max_total_tokens", "must be >= 0 (0 = " + DEFAULT_FLUENCY_TOKENS + ")");
        }
        if (topK < 0) {
            throw RunRejected.invalid("protocol.fluency_top_k", "must be >= 0 (0 = " + DEFAULT_FLUENCY_TOP_K + ")");
        }
        fluencyTokens = fluencyTokens == 0 ? DEFAULT_FLUENCY_TOKENS : fluencyTokens;
        topK = topK == 0 ? DEFAULT_FLUENCY_TOP_K : topK;
        boolean fluency = !r.getProtocol().getSkipFluency();

        // --- targets
        if (r.getTargetsCount() == 0) {
            throw RunRejected.invalid("targets", "at least one target (a phase and a method, or a space) is required");
        }
        Map<Phase, DescribeResponse> described = new EnumMap<>(Phase.class);
        Map<Phase, Set<String>> spaces = new EnumMap<>(Phase.class);
        List<RunPlan.TargetPlan> targets = new ArrayList<>();
        for (int i = 0; i < r.getTargetsCount(); i++) {
            String f = "targets[" + i + "]";
            Target t = withPhase(r.getTargets(i), f, described);
            if (!t.getSpace().isEmpty() && !t.getMethod().isEmpty()) {
                throw RunRejected.invalid(f, "give either a method (edits applied to scratch spaces) or a space (evaluated as it is), not both");
            }
            if (t.getSpace().isEmpty() && t.getMethod().isBlank()) {
                throw RunRejected.invalid(f + ".method", "required unless space is set");
            }
            DescribeResponse d = described.computeIfAbsent(t.getPhase(), this::describe);
            if (!t.getSpace().isEmpty()) {
                if (t.hasHparams() && t.getHparams().getFieldsCount() > 0) {
                    throw RunRejected.invalid(f + ".hparams", "only with a method");
                }
                Set<String> names = spaces.computeIfAbsent(t.getPhase(), p -> {
                    Set<String> s = new java.util.HashSet<>();
                    phases.listSpaces(p).getSpacesList().stream().map(Space::getName).forEach(s::add);
                    return s;
                });
                if (!names.contains(t.getSpace())) {
                    throw new RunRejected(Status.Code.NOT_FOUND, f + ".space: no space '" + t.getSpace() + "' in " + phases.address(t.getPhase()));
                }
                String label = t.getLabel().isBlank() ? t.getSpace() : t.getLabel();
                targets.add(new RunPlan.TargetPlan(i, t, t.getPhase(), "", t.getSpace(), label, null, d));
                continue;
            }
            MethodInfo m = d.getMethodsList().stream().filter(x -> x.getName().equalsIgnoreCase(t.getMethod())).findFirst()
                    .orElseThrow(() -> RunRejected.invalid(f + ".method", "unknown method '" + t.getMethod() + "' in "
                            + phases.address(t.getPhase()) + "; it offers " + d.getMethodsList().stream().map(MethodInfo::getName).toList()));
            Set<String> known = new java.util.TreeSet<>();
            m.getHparamsList().stream().map(HparamSpec::getName).forEach(known::add);
            for (String h : t.getHparams().getFieldsMap().keySet()) {
                if (!known.contains(h)) {
                    throw RunRejected.invalid(f + ".hparams." + h, "unknown hparam of " + m.getName() + "; known: " + known);
                }
            }
            if (!m.getSupportedModesList().contains(mode)) {
                throw RunRejected.invalid("mode.mode", m.getName() + " does not support " + mode.name() + "; it supports " + m.getSupportedModesList());
            }
            if (mode != EditMode.EDIT_MODE_SINGLE && m.getMaxBatchSize() > 0 && batchSize > m.getMaxBatchSize()) {
                throw RunRejected.invalid("mode.batch_size", batchSize + " is larger than " + m.getName() + "'s max_batch_size " + m.getMaxBatchSize()
                        + (r.getMode().getBatchSize() == 0 ? " (0 means all " + n + " cases)" : ""));
            }
            String label = t.getLabel().isBlank() ? m.getName() : t.getLabel();
            targets.add(new RunPlan.TargetPlan(i, t, t.getPhase(), m.getName(), "", label, m, d));
        }

        HealthMeter.validate(r, mode, targets.stream().anyMatch(RunPlan.TargetPlan::appliesEdits));

        ProtocolRecord.Builder p = ProtocolRecord.newBuilder().setMode(mode).setBatchSize(batchSize).addAllCheckpoints(checkpoints)
                .addAllScoring(scoring).setSchedule(schedule)
                .setHeadline(mode == EditMode.EDIT_MODE_SEQUENTIAL && (schedule != ScoreSchedule.SCORE_SCHEDULE_AFTER_EACH_EDIT)
                        ? "after_all_edits" : "after_each_edit")
                .setLocalityReference("base").setTargetTokenization(TOKENIZATION)
                .setFluencySettings(fluency ? "max_total_tokens=" + fluencyTokens + ", top_k=" + topK + ", sampled, seed=run seed + case index" : "")
                .setDataset(datasetName).setDatasetFormat(format).setDatasetSha256(sha).setCases(n).setSeed(r.getSeed())
                .setShuffled(r.getShuffle())
                .setModelFingerprint(described.values().iterator().next().getModel().getFingerprint());
        Map<String, String> versions = new TreeMap<>();
        described.forEach((ph, d) -> versions.put(ph.name().substring("PHASE_".length()).toLowerCase(Locale.ROOT) + "-service", d.getServiceVersion()));
        p.putAllServiceVersions(versions);
        return new RunPlan(r, datasetName, List.copyOf(cases), List.copyOf(targets), mode, batchSize, List.copyOf(checkpoints),
                schedule, scoring.contains(ScoringMethod.SCORING_METHOD_GENERATED_EXACT_MATCH), fluency, fluencyTokens, topK, p.build(), task);
    }

    /**
     * The target with its phase: as given, or for a method target without one, the phase whose
     * service offers the method (the phase services' method registries decide, through Describe).
     */
    private Target withPhase(Target t, String f, Map<Phase, DescribeResponse> described) {
        if (t.getPhase() != Phase.PHASE_UNSPECIFIED && t.getPhase() != Phase.UNRECOGNIZED) {
            return t;
        }
        if (!t.getSpace().isEmpty() || t.getMethod().isBlank()) {
            throw RunRejected.invalid(f + ".phase", "required with a space: PHASE_RECOGNITION, PHASE_ASSOCIATION or PHASE_MASTERY");
        }
        List<String> offered = new ArrayList<>();
        List<String> down = new ArrayList<>();
        for (Phase p : List.of(Phase.PHASE_RECOGNITION, Phase.PHASE_ASSOCIATION, Phase.PHASE_MASTERY)) {
            DescribeResponse d;
            try {
                d = described.computeIfAbsent(p, this::describe);
            } catch (RunRejected e) {
                down.add(phases.address(p));
                continue;
            }
            List<String> names = d.getMethodsList().stream().map(MethodInfo::getName).toList();
            if (names.stream().anyMatch(n -> n.equalsIgnoreCase(t.getMethod().trim()))) {
                return t.toBuilder().setPhase(p).build();
            }
            offered.add(p.name().substring("PHASE_".length()).toLowerCase(Locale.ROOT) + " " + names);
        }
        throw RunRejected.invalid(f + ".method", "no phase service offers method '" + t.getMethod() + "'; offered: "
                + String.join(", ", offered) + (down.isEmpty() ? "" : "; not answering, so not asked: " + down));
    }

    private DescribeResponse describe(Phase phase) {
        try {
            return phases.describeOnce(phase);
        } catch (StatusRuntimeException | TransientPhaseException e) {
            StatusRuntimeException s = e instanceof TransientPhaseException t ? t.status() : (StatusRuntimeException) e;
            String service = phase.name().substring("PHASE_".length()).toLowerCase(Locale.ROOT);
            throw new RunRejected(Status.Code.UNAVAILABLE, phases.address(phase) + " did not answer Describe ("
                    + s.getStatus().getCode() + (s.getStatus().getDescription() == null ? "" : ": " + s.getStatus().getDescription())
                    + "); start it (java -jar " + service + "-service/target/quarkus-app/quarkus-run.jar) or point emend.phases."
                    + service + ".host/port (EMEND_PHASES_" + service.toUpperCase(Locale.ROOT) + "_HOST/_PORT) at it");
        }
    }

    static KnowEditFormat knowEdit(DatasetFormat f) {
        return switch (f) {
            case DATASET_FORMAT_WIKIDATA_RECENT -> KnowEditFormat.WIKIDATA_RECENT;
            case DATASET_FORMAT_ZSRE -> KnowEditFormat.ZSRE;
            case DATASET_FORMAT_WIKIBIO -> KnowEditFormat.WIKIBIO;
            case DATASET_FORMAT_WIKIDATA_COUNTERFACT -> KnowEditFormat.WIKIDATA_COUNTERFACT;
            case DATASET_FORMAT_CONVSENT -> KnowEditFormat.CONVSENT;
            case DATASET_FORMAT_SANITATION -> KnowEditFormat.SANITATION;
            default -> throw new IllegalArgumentException("no KnowEdit format for " + f);
        };
    }

    private static List<String> formats() {
        List<String> out = new ArrayList<>();
        for (DatasetFormat f : DatasetFormat.values()) {
            if (f != DatasetFormat.DATASET_FORMAT_UNSPECIFIED && f != DatasetFormat.UNRECOGNIZED) {
                out.add(f.name());
            }
        }
        return out;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
