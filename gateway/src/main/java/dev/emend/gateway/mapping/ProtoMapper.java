package dev.emend.gateway.mapping;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.emend.api.v1.ApplyEditsResponse;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EditRecord;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.api.v1.GenerateResponse;
import dev.emend.api.v1.ModelVersion;
import dev.emend.api.v1.Note;
import dev.emend.api.v1.Probe;
import dev.emend.api.v1.ProbeList;
import dev.emend.api.v1.RollbackResponse;
import dev.emend.api.v1.ScoreResponse;
import dev.emend.api.v1.ScoreResult;
import dev.emend.api.v1.Timings;
import dev.emend.gateway.client.PhaseName;
import dev.emend.gateway.config.GatewayConfig;
import dev.emend.gateway.rest.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * REST JSON to emend.v1 messages and back, with the gateway's request limits checked on the way
 * in (every violation is a 400/413 that names the field and the limit).
 */
@ApplicationScoped
public class ProtoMapper {
    @Inject
    GatewayConfig config;

    // ---- requests ---------------------------------------------------------------------------

    public EditRequest editRequest(EditJson.EditRequestJson r, String field) {
        if (r == null) {
            throw ProblemException.badRequest(field, "'" + field + "' is null; give an object with prompt, subject and target_new.");
        }
        prompt(r.prompt(), field + ".prompt");
        required(r.targetNew(), field + ".target_new", "the new answer, e.g. \"Berlin\"");
        text(r.targetNew(), field + ".target_new");
        text(r.subject(), field + ".subject");
        EditRequest.Builder b = EditRequest.newBuilder().setPrompt(r.prompt()).setTargetNew(r.targetNew());
        if (r.subject() != null) {
            b.setSubject(r.subject());
        }
        strings(r.groundTruth(), field + ".ground_truth").forEach(b::addGroundTruth);
        List<String> rephrase = strings(r.rephrasePrompt(), field + ".rephrase_prompt");
        for (int i = 0; i < rephrase.size(); i++) {
            prompt(rephrase.get(i), field + ".rephrase_prompt[" + i + "]");
        }
        b.addAllRephrasePrompt(rephrase);
        b.putAllLocality(probes(r.locality(), field + ".locality"));
        b.putAllPortability(probes(r.portability(), field + ".portability"));
        if (r.caseId() != null) {
            b.setCaseId(r.caseId());
        }
        if (r.extra() != null) {
            b.setExtra(struct(r.extra(), field + ".extra"));
        }
        return b.build();
    }

    public List<EditRequest> editRequests(List<EditJson.EditRequestJson> requests, String field) {
        if (requests == null || requests.isEmpty()) {
            throw ProblemException.badRequest(field, "'" + field + "' is empty; give at least one edit request "
                    + "({prompt, subject, target_new}).");
        }
        int max = config.limits().maxRequestsPerEdit();
        if (requests.size() > max) {
            throw ProblemException.tooLarge(field, "'" + field + "' has " + requests.size() + " edit requests; at most "
                    + max + " per call. Split them into several calls.");
        }
        List<EditRequest> out = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            out.add(editRequest(requests.get(i), field + "[" + i + "]"));
        }
        return out;
    }

    public GenerateRequest generate(String space, GenerationJson.GenerateJson g) {
        if (g == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"prompt\": \"...\", \"max_new_tokens\": 16}.");
        }
        prompt(g.prompt(), "prompt");
        GenerateRequest.Builder b = GenerateRequest.newBuilder().setSpace(space).setPrompt(g.prompt());
        int maxNew = config.limits().maxNewTokens();
        if (g.maxNewTokens() != null) {
            if (g.maxNewTokens() < 0 || g.maxNewTokens() > maxNew) {
                throw ProblemException.badRequest("max_new_tokens", "'max_new_tokens' is " + g.maxNewTokens()
                        + "; it must be in [0, " + maxNew + "] (0 = the service default).");
            }
            b.setMaxNewTokens(g.maxNewTokens());
        }
        if (g.maxTotalTokens() != null) {
            if (g.maxTotalTokens() < 0) {
                throw ProblemException.badRequest("max_total_tokens", "'max_total_tokens' must be >= 0.");
            }
            b.setMaxTotalTokens(g.maxTotalTokens());
        }
        if (g.temperature() != null) {
            if (g.temperature() < 0 || g.temperature() > 100) {
                throw ProblemException.badRequest("temperature", "'temperature' must be in [0, 100] (0 = greedy).");
            }
            b.setTemperature(g.temperature().floatValue());
        }
        if (g.topK() != null) {
            if (g.topK() < 0) {
                throw ProblemException.badRequest("top_k", "'top_k' must be >= 0 (0 = no limit).");
            }
            b.setTopK(g.topK());
        }
        if (g.topP() != null) {
            if (!(g.topP() > 0 && g.topP() <= 1)) {
                throw ProblemException.badRequest("top_p", "'top_p' must be in (0, 1].");
            }
            b.setTopP(g.topP().floatValue());
        }
        if (g.seed() != null) {
            b.setSeed(g.seed());
        }
        List<String> stop = strings(g.stop(), "stop");
        if (stop.size() > 16) {
            throw ProblemException.badRequest("stop", "'stop' has " + stop.size() + " strings; at most 16.");
        }
        b.addAllStop(stop);
        return b.build();
    }

    public void prompt(String prompt, String field) {
        required(prompt, field, "the text the model continues");
        text(prompt, field);
    }

    private void text(String s, String field) {
        int max = config.limits().maxPromptChars();
        if (s != null && s.length() > max) {
            throw ProblemException.tooLarge(field, "'" + field + "' has " + s.length() + " characters; the limit is " + max
                    + ". Shorten it.");
        }
    }

    private static void required(String s, String field, String what) {
        if (s == null || s.isBlank()) {
            throw ProblemException.badRequest(field, "'" + field + "' is required: " + what + ".");
        }
    }

    private List<String> strings(List<String> in, String field) {
        if (in == null) {
            return List.of();
        }
        for (int i = 0; i < in.size(); i++) {
            if (in.get(i) == null) {
                throw ProblemException.badRequest(field + "[" + i + "]", "'" + field + "[" + i + "]' is null; give a string.");
            }
            text(in.get(i), field + "[" + i + "]");
        }
        return in;
    }

    private Map<String, ProbeList> probes(Map<String, List<EditJson.ProbeJson>> in, String field) {
        Map<String, ProbeList> out = new LinkedHashMap<>();
        if (in == null) {
            return out;
        }
        in.forEach((k, list) -> {
            ProbeList.Builder pl = ProbeList.newBuilder();
            if (list != null) {
                for (int i = 0; i < list.size(); i++) {
                    EditJson.ProbeJson p = list.get(i);
                    String f = field + "." + k + "[" + i + "]";
                    if (p == null) {
                        throw ProblemException.badRequest(f, "'" + f + "' is null; give {prompt, ground_truth}.");
                    }
                    prompt(p.prompt(), f + ".prompt");
                    pl.addItems(Probe.newBuilder().setPrompt(p.prompt()).addAllGroundTruth(strings(p.groundTruth(), f + ".ground_truth")));
                }
            }
            out.put(k, pl.build());
        });
        return out;
    }

    public static EditMode mode(String mode, String field) {
        if (mode == null) {
            return EditMode.EDIT_MODE_UNSPECIFIED;
        }
        return switch (mode.toLowerCase(Locale.ROOT)) {
            case "single" -> EditMode.EDIT_MODE_SINGLE;
            case "batch" -> EditMode.EDIT_MODE_BATCH;
            case "sequential" -> EditMode.EDIT_MODE_SEQUENTIAL;
            default -> throw ProblemException.badRequest(field, "'" + field + "' is '" + mode
                    + "': use single, batch or sequential.");
        };
    }

    // ---- Struct <-> JSON values ----------------------------------------------------------------

    public static Struct struct(Map<String, Object> map, String field) {
        Struct.Builder b = Struct.newBuilder();
        if (map != null) {
            map.forEach((k, v) -> b.putFields(k, value(v, field + "." + k)));
        }
        return b.build();
    }

    private static Value value(Object v, String field) {
        if (v == null) {
            return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
        }
        if (v instanceof Boolean x) {
            return Value.newBuilder().setBoolValue(x).build();
        }
        if (v instanceof Number x) {
            return Value.newBuilder().setNumberValue(x.doubleValue()).build();
        }
        if (v instanceof String x) {
            return Value.newBuilder().setStringValue(x).build();
        }
        if (v instanceof List<?> list) {
            ListValue.Builder lb = ListValue.newBuilder();
            for (int i = 0; i < list.size(); i++) {
                lb.addValues(value(list.get(i), field + "[" + i + "]"));
            }
            return Value.newBuilder().setListValue(lb).build();
        }
        if (v instanceof Map<?, ?> m) {
            Struct.Builder sb = Struct.newBuilder();
            m.forEach((k, x) -> sb.putFields(String.valueOf(k), value(x, field + "." + k)));
            return Value.newBuilder().setStructValue(sb).build();
        }
        throw ProblemException.badRequest(field, "'" + field + "' has an unsupported value type.");
    }

    public static Map<String, Object> map(Struct s) {
        Map<String, Object> out = new LinkedHashMap<>();
        s.getFieldsMap().forEach((k, v) -> out.put(k, plain(v)));
        return out;
    }

    public static Object plain(Value v) {
        return switch (v.getKindCase()) {
            case NULL_VALUE, KIND_NOT_SET -> null;
            case BOOL_VALUE -> v.getBoolValue();
            case NUMBER_VALUE -> {
                double d = v.getNumberValue();
                yield d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
            }
            case STRING_VALUE -> v.getStringValue();
            case LIST_VALUE -> v.getListValue().getValuesList().stream().map(ProtoMapper::plain).toList();
            case STRUCT_VALUE -> map(v.getStructValue());
        };
    }

    // ---- responses ----------------------------------------------------------------------------

    public static EditJson.ModelVersionJson version(ModelVersion v) {
        return new EditJson.ModelVersionJson(v.getSpace(), v.getSequence(), v.getBaseFingerprint());
    }

    public static String time(Timestamp t) {
        return t.getSeconds() == 0 && t.getNanos() == 0 ? null : Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
    }

    public static String phase(dev.emend.api.v1.Phase p) {
        return p == dev.emend.api.v1.Phase.PHASE_UNSPECIFIED || p == dev.emend.api.v1.Phase.UNRECOGNIZED ? null : PhaseName.of(p).id();
    }

    /** Enum constant name without its type prefix, lower case: EDIT_STATUS_ROLLED_BACK -> rolled_back. */
    public static String enumName(Enum<?> e, String prefix) {
        String n = e.name();
        if (n.endsWith("UNSPECIFIED") || n.equals("UNRECOGNIZED")) {
            return null;
        }
        return (n.startsWith(prefix) ? n.substring(prefix.length()) : n).toLowerCase(Locale.ROOT);
    }

    static EditJson.TimingsJson timings(Timings t) {
        return new EditJson.TimingsJson(t.getQueueMs(), t.getComputeMs(), t.getCommitMs(), t.getTotalMs());
    }

    static List<EditJson.NoteJson> notes(List<Note> notes) {
        return notes.stream().map(n -> new EditJson.NoteJson(n.getCode(), n.getMessage(), n.getField().isEmpty() ? null : n.getField())).toList();
    }

    public static EditJson.EditRequestJson request(EditRequest r) {
        Map<String, List<EditJson.ProbeJson>> loc = new LinkedHashMap<>();
        r.getLocalityMap().forEach((k, v) -> loc.put(k, v.getItemsList().stream()
                .map(p -> new EditJson.ProbeJson(p.getPrompt(), p.getGroundTruthList())).toList()));
        Map<String, List<EditJson.ProbeJson>> port = new LinkedHashMap<>();
        r.getPortabilityMap().forEach((k, v) -> port.put(k, v.getItemsList().stream()
                .map(p -> new EditJson.ProbeJson(p.getPrompt(), p.getGroundTruthList())).toList()));
        return new EditJson.EditRequestJson(r.getPrompt(), r.getSubject(), r.getTargetNew(), r.getGroundTruthList(),
                r.getRephrasePromptList(), loc, port, r.getCaseId(), r.hasExtra() ? map(r.getExtra()) : null);
    }

    public static EditJson.EditRecordJson record(EditRecord e) {
        return new EditJson.EditRecordJson(e.getId(), e.getSequence(), e.getSpace(), phase(e.getPhase()), e.getMethod(),
                map(e.getHparams()), request(e.getRequest()), enumName(e.getMode(), "EDIT_MODE_"), e.getBatchId(),
                enumName(e.getStatus(), "EDIT_STATUS_"), e.getSupersededBy(),
                e.getRolledBackAtSequence() == 0 ? null : e.getRolledBackAtSequence(), time(e.getCommittedAt()),
                timings(e.getTimings()), notes(e.getNotesList()), e.getDiagnosticsMap(), e.getCaseId());
    }

    public static EditJson.AppliedJson applied(ApplyEditsResponse r) {
        return new EditJson.AppliedJson(phase(r.getPhase()), r.getSpace(), version(r.getModelVersion()), r.getMethod(),
                map(r.getEffectiveHparams()), r.getEditsList().stream().map(ProtoMapper::record).toList(),
                timings(r.getTimings()));
    }

    public static EditJson.RolledBackJson rolledBack(RollbackResponse r) {
        return new EditJson.RolledBackJson(phase(r.getPhase()), r.getSpace(), version(r.getModelVersion()),
                record(r.getEdit()), enumName(r.getKind(), "ROLLBACK_KIND_"), r.getReason(), r.getDependentEditIdsList(),
                r.getReactivatedEditIdsList());
    }

    public static GenerationJson.GeneratedJson generated(GenerateResponse g) {
        return new GenerationJson.GeneratedJson(g.getText(), g.getTokenIdsList(), g.getPromptUsed(), g.getPromptTokens(),
                enumName(g.getFinishReason(), "FINISH_REASON_"), phase(g.getPhase()), g.getSpace(),
                version(g.getModelVersion()), g.getMatchedEditIdsList(), notes(g.getNotesList()), g.getSeed(), null, null);
    }

    public static GenerationJson.ScoredJson scored(ScoreResponse s) {
        ScoreResult r = s.getResult();
        return new GenerationJson.ScoredJson(phase(s.getPhase()), s.getSpace(), version(s.getModelVersion()), r.getPrompt(),
                r.getTarget(), r.getPromptUsed(), r.getPromptTokens(), r.getTokenAccuracy(), r.getSumLogProb(),
                r.getTokensList().stream().map(t -> new GenerationJson.TokenScoreJson(t.getIndex(), t.getTargetId(),
                        t.getTargetPiece(), t.getArgmaxId(), t.getArgmaxPiece(), t.getLogProb(), t.getArgmaxLogProb())).toList(),
                r.getMatchedEditIdsList(), notes(r.getNotesList()));
    }
}
