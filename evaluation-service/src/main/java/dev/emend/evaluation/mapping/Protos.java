package dev.emend.evaluation.mapping;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.ProbeList;
import dev.emend.api.v1.ScoreBatchResponse;
import dev.emend.knowedit.EvalCase;
import dev.emend.knowedit.Probe;
import dev.emend.knowedit.metrics.ModelVersion;
import dev.emend.knowedit.metrics.ScoreResult;
import dev.emend.knowedit.metrics.TokenScore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Conversions between emend.v1 messages and the evaluation library's records. */
public final class Protos {
    private Protos() {
    }

    /** A library case as the EditRequest it mirrors field for field. */
    public static EditRequest editRequest(EvalCase c) {
        EditRequest.Builder b = EditRequest.newBuilder().setPrompt(c.prompt()).setSubject(c.subject())
                .setTargetNew(c.targetNew()).addAllGroundTruth(c.groundTruth()).addAllRephrasePrompt(c.rephrasePrompts())
                .setCaseId(c.caseId());
        c.locality().forEach((k, v) -> b.putLocality(k, probes(v)));
        c.portability().forEach((k, v) -> b.putPortability(k, probes(v)));
        if (!c.extra().isEmpty()) {
            b.setExtra(struct(c.extra()));
        }
        return b.build();
    }

    private static ProbeList probes(List<Probe> ps) {
        ProbeList.Builder b = ProbeList.newBuilder();
        ps.forEach(p -> b.addItemsBuilder().setPrompt(p.prompt()).addAllGroundTruth(p.groundTruth()));
        return b.build();
    }

    public static ModelVersion version(dev.emend.api.v1.ModelVersion v) {
        return new ModelVersion(v.getSpace(), v.getSequence(), v.getBaseFingerprint());
    }

    /** The library's view of one result of a ScoreBatch answer. */
    public static ScoreResult score(dev.emend.api.v1.ScoreResult r, ScoreBatchResponse in) {
        List<TokenScore> tokens = new ArrayList<>(r.getTokensCount());
        for (dev.emend.api.v1.TokenScore t : r.getTokensList()) {
            tokens.add(new TokenScore(t.getIndex(), t.getTargetId(), t.getTargetPiece(), t.getArgmaxId(),
                    t.getArgmaxPiece(), t.getLogProb(), t.getArgmaxLogProb()));
        }
        return new ScoreResult(r.getPrompt(), r.getTarget(), r.getPromptUsed(), r.getPromptTokens(), tokens,
                version(in.getModelVersion()));
    }

    public static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    // ------------------------------------------------------------------ Struct <-> Java

    public static Struct struct(Map<String, ?> m) {
        Struct.Builder b = Struct.newBuilder();
        m.forEach((k, v) -> b.putFields(k, value(v)));
        return b.build();
    }

    public static Value value(Object o) {
        if (o == null) {
            return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
        }
        if (o instanceof Value v) {
            return v;
        }
        if (o instanceof String s) {
            return Value.newBuilder().setStringValue(s).build();
        }
        if (o instanceof Boolean bo) {
            return Value.newBuilder().setBoolValue(bo).build();
        }
        if (o instanceof Number n) {
            return Value.newBuilder().setNumberValue(n.doubleValue()).build();
        }
        if (o instanceof Map<?, ?> m) {
            Struct.Builder b = Struct.newBuilder();
            m.forEach((k, v) -> b.putFields(String.valueOf(k), value(v)));
            return Value.newBuilder().setStructValue(b).build();
        }
        if (o instanceof Iterable<?> it) {
            ListValue.Builder b = ListValue.newBuilder();
            it.forEach(x -> b.addValues(value(x)));
            return Value.newBuilder().setListValue(b).build();
        }
        return Value.newBuilder().setStringValue(String.valueOf(o)).build();
    }

    /** A Struct as plain Java (String, Double, Boolean, List, Map, null), keys in order. */
    public static Map<String, Object> map(Struct s) {
        Map<String, Object> out = new LinkedHashMap<>();
        s.getFieldsMap().forEach((k, v) -> out.put(k, java(v)));
        return out;
    }

    public static Object java(Value v) {
        return switch (v.getKindCase()) {
            case NULL_VALUE, KIND_NOT_SET -> null;
            case NUMBER_VALUE -> {
                double d = v.getNumberValue();
                // Integers read back as integers, so hparams print as EasyEdit writes them ("layers: [5]").
                yield d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
            }
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> v.getBoolValue();
            case STRUCT_VALUE -> map(v.getStructValue());
            case LIST_VALUE -> {
                List<Object> l = new ArrayList<>();
                v.getListValue().getValuesList().forEach(x -> l.add(java(x)));
                yield l;
            }
        };
    }
}
