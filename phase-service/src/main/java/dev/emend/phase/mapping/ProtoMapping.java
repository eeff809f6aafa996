package dev.emend.phase.mapping;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.ProbeList;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.HparamSpec;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Note;
import dev.emend.core.edit.Probe;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Conversions between the emend.v1 messages and editing-core's types, and the ledger's JSON. */
public final class ProtoMapping {
    private static final Gson GSON = new Gson();

    private ProtoMapping() {
    }

    public static Phase phase(dev.emend.core.edit.Phase p) {
        return switch (p) {
            case RECOGNITION -> Phase.PHASE_RECOGNITION;
            case ASSOCIATION -> Phase.PHASE_ASSOCIATION;
            case MASTERY -> Phase.PHASE_MASTERY;
        };
    }

    public static dev.emend.api.v1.EditMode mode(EditMode m) {
        return switch (m) {
            case SINGLE -> dev.emend.api.v1.EditMode.EDIT_MODE_SINGLE;
            case BATCH -> dev.emend.api.v1.EditMode.EDIT_MODE_BATCH;
            case SEQUENTIAL -> dev.emend.api.v1.EditMode.EDIT_MODE_SEQUENTIAL;
        };
    }

    public static EditRequest request(dev.emend.api.v1.EditRequest r) {
        return new EditRequest(r.getPrompt(), r.getSubject(), r.getTargetNew(), r.getGroundTruthList(),
                r.getRephrasePromptList(), probes(r.getLocalityMap()), probes(r.getPortabilityMap()), r.getCaseId(),
                map(r.getExtra()));
    }

    private static Map<String, List<Probe>> probes(Map<String, ProbeList> in) {
        Map<String, List<Probe>> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, v.getItemsList().stream()
                .map(p -> new Probe(p.getPrompt(), p.getGroundTruthList())).toList()));
        return out;
    }

    public static String requestJson(dev.emend.api.v1.EditRequest r) {
        try {
            return JsonFormat.printer().omittingInsignificantWhitespace().print(r);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    public static dev.emend.api.v1.EditRequest requestFromJson(String json) {
        try {
            dev.emend.api.v1.EditRequest.Builder b = dev.emend.api.v1.EditRequest.newBuilder();
            JsonFormat.parser().merge(json, b);
            return b.build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt ledger request JSON: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------ Struct <-> Map

    public static Map<String, Object> map(Struct s) {
        Map<String, Object> out = new LinkedHashMap<>();
        s.getFieldsMap().forEach((k, v) -> out.put(k, plain(v)));
        return out;
    }

    public static Object plain(Value v) {
        return switch (v.getKindCase()) {
            case NUMBER_VALUE -> v.getNumberValue();
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> v.getBoolValue();
            case LIST_VALUE -> v.getListValue().getValuesList().stream().map(ProtoMapping::plain).toList();
            case STRUCT_VALUE -> map(v.getStructValue());
            default -> null;
        };
    }

    public static Struct struct(Map<String, ?> m) {
        Struct.Builder b = Struct.newBuilder();
        m.forEach((k, v) -> b.putFields(k, value(v)));
        return b.build();
    }

    public static Value value(Object o) {
        if (o == null) {
            return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
        }
        if (o instanceof Number n) {
            return Value.newBuilder().setNumberValue(n.doubleValue()).build();
        }
        if (o instanceof Boolean b) {
            return Value.newBuilder().setBoolValue(b).build();
        }
        if (o instanceof List<?> l) {
            ListValue.Builder lb = ListValue.newBuilder();
            l.forEach(x -> lb.addValues(value(x)));
            return Value.newBuilder().setListValue(lb).build();
        }
        if (o instanceof Map<?, ?> m) {
            Struct.Builder sb = Struct.newBuilder();
            m.forEach((k, v) -> sb.putFields(String.valueOf(k), value(v)));
            return Value.newBuilder().setStructValue(sb).build();
        }
        return Value.newBuilder().setStringValue(String.valueOf(o)).build();
    }

    // ------------------------------------------------------------ ledger JSON

    public static String json(Object o) {
        return GSON.toJson(o);
    }

    public static Map<String, Object> jsonMap(String json) {
        return GSON.fromJson(json, new TypeToken<LinkedHashMap<String, Object>>() { }.getType());
    }

    public static Map<String, Double> jsonDoubles(String json) {
        return GSON.fromJson(json, new TypeToken<LinkedHashMap<String, Double>>() { }.getType());
    }

    public static List<Note> jsonNotes(String json) {
        return GSON.fromJson(json, new TypeToken<ArrayList<Note>>() { }.getType());
    }

    /**
     * Restores ledger hparams: JSON turns every number into a double, so values are put back to
     * the types of the method's specs.
     */
    public static Map<String, Object> typedHparams(MethodDescriptor method, String json) {
        Map<String, Object> raw = jsonMap(json);
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((k, v) -> {
            HparamSpec spec = method.hparam(k).orElse(null);
            out.put(k, spec == null ? v : dev.emend.core.edit.Hparams.coerce(spec, v, k));
        });
        return out;
    }

    public static dev.emend.api.v1.Note note(Note n) {
        return dev.emend.api.v1.Note.newBuilder().setCode(n.code()).setMessage(n.message())
                .setField(n.field() == null ? "" : n.field()).build();
    }

    public static Timestamp timestamp(OffsetDateTime t) {
        return Timestamp.newBuilder().setSeconds(t.toEpochSecond()).setNanos(t.getNano()).build();
    }
}
