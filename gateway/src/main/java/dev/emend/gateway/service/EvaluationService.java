package dev.emend.gateway.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.emend.api.v1.Dataset;
import dev.emend.api.v1.DatasetFormat;
import dev.emend.api.v1.GetRunRequest;
import dev.emend.api.v1.InlineCases;
import dev.emend.api.v1.ModeSpec;
import dev.emend.api.v1.ProtocolOptions;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.ScoreSchedule;
import dev.emend.api.v1.ScoringMethod;
import dev.emend.api.v1.Target;
import dev.emend.gateway.client.EvaluationClient;
import dev.emend.gateway.client.PhaseName;
import dev.emend.gateway.client.PhaseUnavailableException;
import dev.emend.gateway.entity.EvaluationRunEntity;
import dev.emend.gateway.mapping.ExperimentJson;
import dev.emend.gateway.mapping.ProtoMapper;
import dev.emend.gateway.repository.EvaluationRunRepository;
import dev.emend.gateway.rest.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Evaluations, proxied to evaluation-service: start (202 + id), progress and the KnowEdit-style
 * result. Results are returned as evaluation-service's Run message in JSON with the proto field
 * names (snake_case) and enum names as defined in evaluation.proto.
 */
@ApplicationScoped
public class EvaluationService {
    @Inject
    EvaluationClient client;
    @Inject
    EvaluationRunRepository runs;
    @Inject
    MethodCatalog catalog;
    @Inject
    SpaceService spaces;
    @Inject
    ProtoMapper mapper;
    @Inject
    ObjectMapper json;

    public ExperimentJson.EvaluationStartedJson start(ExperimentJson.EvaluationJson body, String experimentId, String createdBy) {
        RunRequest request = request(body);
        Run run = EvaluationClient.guarded(() -> client.startRun(request));
        remember(run.getId(), experimentId, createdBy);
        return new ExperimentJson.EvaluationStartedJson(run.getId(), ProtoMapper.enumName(run.getStatus(), "RUN_STATUS_"),
                "/v1/evaluations/" + run.getId(), experimentId);
    }

    @Transactional
    void remember(String runId, String experimentId, String createdBy) {
        EvaluationRunEntity e = new EvaluationRunEntity();
        e.runId = runId;
        e.experimentId = experimentId;
        e.createdBy = createdBy;
        e.createdAt = OffsetDateTime.now();
        runs.persist(e);
    }

    public JsonNode get(String runId, boolean includeCases) {
        Run run = EvaluationClient.guarded(() -> client.getRun(GetRunRequest.newBuilder().setRunId(runId).setIncludeCases(includeCases).build()));
        return toJson(run);
    }

    /** The runs started from an experiment, each as far as evaluation-service knows it now. */
    @Transactional
    public List<JsonNode> ofExperiment(String experimentId) {
        List<JsonNode> out = new ArrayList<>();
        for (EvaluationRunEntity r : runs.ofExperiment(experimentId)) {
            try {
                out.add(get(r.runId, false));
            } catch (PhaseUnavailableException e) {
                ObjectNode n = json.createObjectNode();
                n.put("id", r.runId);
                n.put("status", "unavailable");
                n.put("detail", e.getMessage());
                out.add(n);
            }
        }
        return out;
    }

    private JsonNode toJson(Run run) {
        try {
            return json.readTree(JsonFormat.printer().preservingProtoFieldNames().print(run));
        } catch (InvalidProtocolBufferException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot render run " + run.getId(), e);
        }
    }

    private static List<String> noNulls(List<String> values, String field) {
        int i = values.indexOf(null);
        if (i >= 0) {
            throw ProblemException.badRequest(field + "[" + i + "]", "'" + field + "[" + i + "]' is null; give a string.");
        }
        return values;
    }

    RunRequest request(ExperimentJson.EvaluationJson b) {
        if (b == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"dataset\": {...} or \"cases\": [...], \"targets\": [...]}.");
        }
        RunRequest.Builder r = RunRequest.newBuilder();
        if (b.name() != null) {
            r.setName(b.name());
        }
        if ((b.dataset() == null) == (b.cases() == null)) {
            throw ProblemException.badRequest("dataset", "Give exactly one of 'dataset' ({path, format}) and 'cases' ([...]).");
        }
        if (b.dataset() != null) {
            if (b.dataset().path() == null || b.dataset().path().isBlank()) {
                throw ProblemException.badRequest("dataset.path", "'dataset.path' is required: the file as evaluation-service sees it.");
            }
            Dataset.Builder d = Dataset.newBuilder().setPath(b.dataset().path())
                    .setFormat(enumValue(DatasetFormat.class, "DATASET_FORMAT_", b.dataset().format(), "dataset.format"));
            if (b.dataset().name() != null) {
                d.setName(b.dataset().name());
            }
            r.setDataset(d);
        } else {
            r.setCases(InlineCases.newBuilder().addAllCases(mapper.editRequests(b.cases(), "cases")));
        }
        if (b.targets() == null || b.targets().isEmpty()) {
            throw ProblemException.badRequest("targets", "'targets' needs at least one {method, hparams?} or {space}.");
        }
        for (int i = 0; i < b.targets().size(); i++) {
            ExperimentJson.TargetJson t = b.targets().get(i);
            String f = "targets[" + i + "]";
            if (t == null || (t.method() == null) == (t.space() == null)) {
                throw ProblemException.badRequest(f, "'" + f + "' needs exactly one of 'method' and 'space'.");
            }
            PhaseName phase = t.space() != null ? spaces.phaseOf(t.space(), t.phase())
                    : t.phase() != null ? PhaseName.parse(t.phase(), f + ".phase") : catalog.phaseOfMethod(t.method(), f + ".method");
            Target.Builder tb = Target.newBuilder().setPhase(phase.proto());
            if (t.method() != null) {
                tb.setMethod(catalog.method(phase, t.method(), f + ".method").getName())
                        .setHparams(ProtoMapper.struct(t.hparams(), f + ".hparams"));
            } else {
                tb.setSpace(t.space());
            }
            if (t.label() != null) {
                tb.setLabel(t.label());
            }
            r.addTargets(tb);
        }
        if (b.mode() != null) {
            ModeSpec.Builder m = ModeSpec.newBuilder().setMode(ProtoMapper.mode(b.mode().mode(), "mode.mode"));
            if (b.mode().batchSize() != null) {
                m.setBatchSize(b.mode().batchSize());
            }
            if (b.mode().checkpoints() != null) {
                m.addAllCheckpoints(b.mode().checkpoints());
            }
            r.setMode(m);
        }
        if (b.protocol() != null) {
            var p = b.protocol();
            ProtocolOptions.Builder o = ProtocolOptions.newBuilder();
            if (p.scoring() != null) {
                for (int i = 0; i < p.scoring().size(); i++) {
                    o.addScoring(enumValue(ScoringMethod.class, "SCORING_METHOD_", p.scoring().get(i), "protocol.scoring[" + i + "]"));
                }
            }
            if (p.schedule() != null) {
                o.setSchedule(enumValue(ScoreSchedule.class, "SCORE_SCHEDULE_", p.schedule(), "protocol.schedule"));
            }
            if (p.skipFluency() != null) {
                o.setSkipFluency(p.skipFluency());
            }
            if (p.fluencyMaxTotalTokens() != null) {
                o.setFluencyMaxTotalTokens(p.fluencyMaxTotalTokens());
            }
            if (p.fluencyTopK() != null) {
                o.setFluencyTopK(p.fluencyTopK());
            }
            if (p.keepSpaces() != null) {
                o.setKeepSpaces(p.keepSpaces());
            }
            r.setProtocol(o);
        }
        if (b.limit() != null) {
            if (b.limit() < 0) {
                throw ProblemException.badRequest("limit", "'limit' must be >= 0 (0 = all cases).");
            }
            r.setLimit(b.limit());
        }
        if (b.seed() != null) {
            r.setSeed(b.seed());
        }
        if (b.shuffle() != null) {
            r.setShuffle(b.shuffle());
        }
        if (b.health() != null) {
            var h = b.health();
            dev.emend.api.v1.HealthSet.Builder hs = dev.emend.api.v1.HealthSet.newBuilder();
            if (h.name() != null) {
                hs.setName(h.name());
            }
            if (h.texts() != null) {
                hs.addAllTexts(noNulls(h.texts(), "health.texts"));
            }
            if (h.facts() != null) {
                for (int i = 0; i < h.facts().size(); i++) {
                    var p = h.facts().get(i);
                    String f = "health.facts[" + i + "]";
                    if (p == null || p.prompt() == null) {
                        throw ProblemException.badRequest(f + ".prompt", "'" + f + "' needs a 'prompt' and a 'ground_truth'.");
                    }
                    hs.addFacts(dev.emend.api.v1.Probe.newBuilder().setPrompt(p.prompt())
                            .addAllGroundTruth(p.groundTruth() == null ? List.of() : p.groundTruth()));
                }
            }
            if (h.fluencyPrompts() != null) {
                hs.addAllFluencyPrompts(noNulls(h.fluencyPrompts(), "health.fluency_prompts"));
            }
            r.setHealth(hs);
        }
        return r.build();
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String prefix, String value, String field) {
        List<String> allowed = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            String n = ProtoMapper.enumName(e, prefix);
            if (n != null) {
                allowed.add(n);
                if (n.equalsIgnoreCase(value == null ? "" : value.trim())) {
                    return e;
                }
            }
        }
        throw ProblemException.badRequest(field, "'" + field + "' is " + (value == null ? "missing" : "'" + value + "'")
                + ": use one of " + allowed + ".");
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
