package dev.emend.gateway.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emend.gateway.client.PhaseName;
import dev.emend.gateway.entity.ArmEntity;
import dev.emend.gateway.entity.ArmRequestEntity;
import dev.emend.gateway.entity.ExperimentEntity;
import dev.emend.gateway.mapping.ExperimentJson;
import dev.emend.gateway.mapping.GenerationJson;
import dev.emend.gateway.mapping.ProtoMapper;
import dev.emend.gateway.repository.ArmRequestRepository;
import dev.emend.gateway.repository.ExperimentRepository;
import dev.emend.gateway.rest.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A/B experiments: weighted arms over spaces (possibly in different phases), sticky assignment of
 * callers by hash, one arm_request row per served request (counters and latency percentiles are
 * computed from them in PostgreSQL, so they survive restarts and are shared by replicas).
 */
@ApplicationScoped
public class ExperimentService {
    private static final int MAX_ARMS = 16;

    @Inject
    ExperimentRepository experiments;
    @Inject
    ArmRequestRepository armRequests;
    @Inject
    SpaceService spaces;
    @Inject
    GenerationService generation;
    @Inject
    ProtoMapper mapper;
    @Inject
    EvaluationService evaluations;

    /** Immutable view of an experiment's arms, cached (arms never change after creation). */
    record Arms(String id, List<Long> ids, List<String> names, List<String> spaces, List<PhaseName> phases,
                List<Double> weights) {
    }

    private final Map<String, Arms> cache = new ConcurrentHashMap<>();

    @Transactional
    public ExperimentJson.ExperimentOutJson create(ExperimentJson.CreateExperimentJson body, String createdBy) {
        if (body == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"name\": ..., \"arms\": [{\"space\": ..., \"weight\": 1}, ...]}.");
        }
        if (body.name() == null || body.name().isBlank() || body.name().length() > 200) {
            throw ProblemException.badRequest("name", "'name' is required (1-200 characters).");
        }
        if (body.arms() == null || body.arms().isEmpty() || body.arms().size() > MAX_ARMS) {
            throw ProblemException.badRequest("arms", "'arms' must have 1 to " + MAX_ARMS + " arms, each {space, weight}.");
        }
        ExperimentEntity e = new ExperimentEntity();
        e.id = UUID.randomUUID().toString();
        e.name = body.name().trim();
        e.createdBy = createdBy;
        e.createdAt = OffsetDateTime.now();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < body.arms().size(); i++) {
            ExperimentJson.ArmJson a = body.arms().get(i);
            String f = "arms[" + i + "]";
            if (a == null || a.space() == null || a.space().isBlank()) {
                throw ProblemException.badRequest(f + ".space", "'" + f + ".space' is required: the space this arm serves.");
            }
            if (a.weight() == null || !(a.weight() > 0) || a.weight().isInfinite()) {
                throw ProblemException.badRequest(f + ".weight", "'" + f + ".weight' must be a positive number (shares are weight / sum of weights).");
            }
            PhaseName phase = spaces.phaseOf(a.space(), a.phase());
            ArmEntity arm = new ArmEntity();
            arm.experiment = e;
            arm.position = i;
            arm.name = a.name() != null && !a.name().isBlank() ? a.name().trim()
                    : SpaceService.BASE.equals(a.space()) ? "base@" + phase.id() : a.space();
            if (!names.add(arm.name)) {
                throw ProblemException.badRequest(f + ".name", "Arm name '" + arm.name + "' is used twice; give each arm its own 'name'.");
            }
            arm.space = a.space();
            arm.phase = phase.id();
            arm.weight = a.weight();
            e.arms.add(arm);
        }
        experiments.persist(e);
        experiments.flush();
        return out(e, Map.of(), List.of());
    }

    @Transactional
    Arms arms(String id) {
        Arms a = cache.get(id);
        if (a != null) {
            return a;
        }
        ExperimentEntity e = find(id);
        a = new Arms(e.id, e.arms.stream().map(x -> x.id).toList(), e.arms.stream().map(x -> x.name).toList(),
                e.arms.stream().map(x -> x.space).toList(), e.arms.stream().map(x -> PhaseName.parse(x.phase, "phase")).toList(),
                e.arms.stream().map(x -> x.weight).toList());
        cache.put(id, a);
        return a;
    }

    private ExperimentEntity find(String id) {
        ExperimentEntity e = experiments.findById(id);
        if (e == null) {
            throw ProblemException.notFound("Unknown experiment '" + id + "'. List experiments with GET /v1/experiments.");
        }
        return e;
    }

    /** Serves one generate through the caller's arm and records its latency and outcome. */
    public GenerationJson.GeneratedJson generate(String id, GenerationJson.ExperimentGenerateJson body, String fallbackCaller) {
        if (body == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"prompt\": \"...\", \"caller\": \"user-17\"}.");
        }
        Arms arms = arms(id);
        String caller = body.caller() != null && !body.caller().isBlank() ? body.caller() : fallbackCaller;
        if (caller.length() > 200) {
            throw ProblemException.badRequest("caller", "'caller' has " + caller.length() + " characters; at most 200.");
        }
        int i = ArmAssignment.arm(id, caller, arms.weights());
        var request = mapper.generate(arms.spaces().get(i), body.generate());
        long t0 = System.nanoTime();
        try {
            GenerationJson.GeneratedJson g = generation.generate(arms.phases().get(i), request);
            record(arms.ids().get(i), (System.nanoTime() - t0) / 1e6, true, 200);
            return g.inArm(id, arms.names().get(i));
        } catch (RuntimeException e) {
            record(arms.ids().get(i), (System.nanoTime() - t0) / 1e6, false, EditService.status(e));
            throw e;
        }
    }

    @Transactional(Transactional.TxType.REQUIRES_NEW)
    void record(long armId, double latencyMs, boolean ok, int status) {
        ArmRequestEntity r = new ArmRequestEntity();
        r.armId = armId;
        r.at = OffsetDateTime.now();
        r.latencyMs = latencyMs;
        r.ok = ok;
        r.httpStatus = status;
        armRequests.persist(r);
    }

    @Transactional
    public ExperimentJson.ExperimentOutJson get(String id) {
        ExperimentEntity e = find(id);
        return out(e, experiments.armStats(id), evaluations.ofExperiment(id));
    }

    @Transactional
    public List<ExperimentJson.ExperimentOutJson> list() {
        List<ExperimentJson.ExperimentOutJson> out = new ArrayList<>();
        for (ExperimentEntity e : experiments.listAll(io.quarkus.panache.common.Sort.descending("createdAt"))) {
            out.add(out(e, experiments.armStats(e.id), null));
        }
        return out;
    }

    /** Starts one evaluation with every arm as a target (same cases on every arm). */
    public ExperimentJson.EvaluationStartedJson evaluate(String id, ExperimentJson.ExperimentEvaluationJson body, String createdBy) {
        if (body == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"dataset\": {...}} or {\"cases\": [...]}.");
        }
        Arms arms = arms(id);
        List<ExperimentJson.TargetJson> targets = new ArrayList<>();
        for (int i = 0; i < arms.ids().size(); i++) {
            targets.add(new ExperimentJson.TargetJson(arms.phases().get(i).id(), null, null, arms.spaces().get(i), arms.names().get(i)));
        }
        return evaluations.start(new ExperimentJson.EvaluationJson(body.name(), body.dataset(), body.cases(), targets, body.mode(),
                body.protocol(), body.limit(), body.seed(), body.shuffle(), body.health()), id, createdBy);
    }

    private static ExperimentJson.ExperimentOutJson out(ExperimentEntity e, Map<Long, ExperimentRepository.ArmStats> stats,
                                                        List<JsonNode> evaluations) {
        double total = e.arms.stream().mapToDouble(a -> a.weight).sum();
        List<ExperimentJson.ArmOutJson> arms = e.arms.stream().map(a -> {
            ExperimentRepository.ArmStats s = stats.getOrDefault(a.id, ExperimentRepository.ArmStats.NONE);
            return new ExperimentJson.ArmOutJson(a.name, a.space, a.phase, a.weight, a.weight / total, s.requests(), s.errors(),
                    s.requests() == 0 ? 0 : s.errors() / (double) s.requests(),
                    new ExperimentJson.LatencyJson(s.p50(), s.p90(), s.p99(), s.mean()));
        }).toList();
        return new ExperimentJson.ExperimentOutJson(e.id, e.name, e.createdAt.toInstant().toString(), e.createdBy, arms, evaluations);
    }
}
