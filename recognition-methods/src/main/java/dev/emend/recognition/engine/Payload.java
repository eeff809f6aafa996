package dev.emend.recognition.engine;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The ledger payload of one recognition unit: per request the fact to store (prompt, subject,
 * target) and its retrieval vector (float32 little-endian, base64), plus the ledger ids it
 * supersedes. Keeping the vector in the ledger makes replay a pure index insert: no forward pass,
 * and the same vector whatever the engine's embedding centre is at replay time.
 */
public record Payload(List<Fact> facts, List<String> supersedes) {
    public record Fact(String prompt, String subject, String target, float[] vector) {}

    public Payload {
        facts = List.copyOf(facts);
        supersedes = List.copyOf(supersedes);
    }

    public byte[] encode() {
        JsonObject root = new JsonObject();
        root.addProperty("format", "emend.recognition/1");
        JsonArray fs = new JsonArray();
        for (Fact f : facts) {
            JsonObject o = new JsonObject();
            o.addProperty("prompt", f.prompt());
            o.addProperty("subject", f.subject());
            o.addProperty("target", f.target());
            ByteBuffer buf = ByteBuffer.allocate(4 * f.vector().length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : f.vector()) {
                buf.putFloat(v);
            }
            o.addProperty("vector", Base64.getEncoder().encodeToString(buf.array()));
            fs.add(o);
        }
        root.add("facts", fs);
        JsonArray sup = new JsonArray();
        supersedes.forEach(sup::add);
        root.add("supersedes", sup);
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static Payload decode(byte[] bytes) {
        JsonObject root;
        try {
            root = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a recognition payload: " + e.getMessage(), e);
        }
        if (!root.has("format") || !"emend.recognition/1".equals(root.get("format").getAsString())) {
            throw new IllegalArgumentException("not a recognition payload (format " + root.get("format") + ")");
        }
        List<Fact> facts = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray("facts")) {
            JsonObject o = e.getAsJsonObject();
            ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(o.get("vector").getAsString()))
                    .order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[buf.remaining() / 4];
            for (int i = 0; i < v.length; i++) {
                v[i] = buf.getFloat();
            }
            facts.add(new Fact(o.get("prompt").getAsString(), o.get("subject").getAsString(),
                    o.get("target").getAsString(), v));
        }
        List<String> sup = new ArrayList<>();
        root.getAsJsonArray("supersedes").forEach(e -> sup.add(e.getAsString()));
        return new Payload(facts, sup);
    }
}
