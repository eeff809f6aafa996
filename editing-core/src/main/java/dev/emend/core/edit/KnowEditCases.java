package dev.emend.core.edit;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Helpers over KnowEdit-format cases (EasyEdit's JSON field names) that every phase's probes share. */
public final class KnowEditCases {
    private KnowEditCases() {
    }

    /**
     * Every (prompt, ground_truth) under the case's {@code locality} keys (KnowEdit:
     * Relation_Specificity, Forgetfulness, ...), in file order; a ground_truth given as a (nested)
     * list contributes its first alias. Empty when the case has no locality object.
     */
    public static List<String[]> localityPairs(JsonObject c) {
        List<String[]> out = new ArrayList<>();
        if (!c.has("locality") || !c.get("locality").isJsonObject()) {
            return out;
        }
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("locality").entrySet()) {
            if (!e.getValue().isJsonArray()) {
                continue;
            }
            for (JsonElement item : e.getValue().getAsJsonArray()) {
                JsonObject o = item.getAsJsonObject();
                JsonElement gt = o.get("ground_truth");
                while (gt.isJsonArray()) {
                    gt = gt.getAsJsonArray().get(0);
                }
                out.add(new String[] {o.get("prompt").getAsString(), gt.getAsString()});
            }
        }
        return out;
    }

    /**
     * The edit request of a case: prompt, subject, target_new and ground_truth (a string, or a
     * list whose entries may be lists of aliases: the first alias of each). Rephrase, locality and
     * portability prompts are for scoring and stay out of the request.
     */
    public static EditRequest request(JsonObject c) {
        List<String> truth = new ArrayList<>();
        JsonElement gt = c.get("ground_truth");
        if (gt != null && !gt.isJsonNull()) {
            for (JsonElement e : gt.isJsonArray() ? gt.getAsJsonArray() : List.of(gt)) {
                while (e.isJsonArray() && !e.getAsJsonArray().isEmpty()) {
                    e = e.getAsJsonArray().get(0);
                }
                if (e.isJsonPrimitive()) {
                    truth.add(e.getAsString());
                }
            }
        }
        String subject = c.has("subject") && !c.get("subject").isJsonNull() ? c.get("subject").getAsString() : "";
        return new EditRequest(c.get("prompt").getAsString(), subject, c.get("target_new").getAsString(), truth,
                null, null, null, null, null);
    }

    /**
     * EasyEdit's locality for one pair: the share of {@code a}'s positions whose argmax token id
     * {@code b} repeats at the same position (a position {@code b} lacks counts as a disagreement);
     * 1 when {@code a} is empty. Teacher-forced scoring of the same (prompt, answer) gives both
     * arrays the same length, so the order of the arguments does not matter in practice.
     */
    public static double argmaxAgreement(int[] a, int[] b) {
        if (a.length == 0) {
            return 1;
        }
        int same = 0;
        for (int t = 0; t < a.length; t++) {
            if (t < b.length && a[t] == b[t]) {
                same++;
            }
        }
        return (double) same / a.length;
    }
}
