package dev.emend.knowedit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One evaluation case read from a KnowEdit (or emend-facts) file. Mirrors the proto message
 * {@code emend.v1.EditRequest} field for field (api/src/main/proto/emend/v1/common.proto), so a
 * runner can map it 1:1:
 * <pre>
 *   prompt          -> prompt            (1)
 *   subject         -> subject           (2)
 *   targetNew       -> target_new        (3)
 *   groundTruth     -> ground_truth      (4)
 *   rephrasePrompts -> rephrase_prompt   (5)
 *   locality        -> locality          (6, key -> ProbeList)
 *   portability     -> portability       (7, key -> ProbeList)
 *   caseId          -> case_id           (8)
 *   extra           -> extra             (9, google.protobuf.Struct)
 * </pre>
 * Values in {@code extra} are JSON-like: String, Double, Boolean, List and Map of those (what a
 * Struct can hold). All collections are unmodifiable and keep file order.
 */
public record EvalCase(
        String prompt,
        String subject,
        String targetNew,
        List<String> groundTruth,
        List<String> rephrasePrompts,
        Map<String, List<Probe>> locality,
        Map<String, List<Probe>> portability,
        String caseId,
        Map<String, Object> extra) {

    public EvalCase {
        Objects.requireNonNull(prompt, "prompt");
        subject = subject == null ? "" : subject;
        Objects.requireNonNull(targetNew, "targetNew");
        groundTruth = List.copyOf(groundTruth);
        rephrasePrompts = List.copyOf(rephrasePrompts);
        locality = copyProbes(locality);
        portability = copyProbes(portability);
        caseId = caseId == null ? "" : caseId;
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    private static Map<String, List<Probe>> copyProbes(Map<String, List<Probe>> in) {
        Map<String, List<Probe>> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return Collections.unmodifiableMap(out);
    }

    /** True when at least one portability probe exists (EasyEdit skips cases without). */
    public boolean hasPortability() {
        return portability.values().stream().anyMatch(l -> !l.isEmpty());
    }

    /** True when at least one locality probe exists. */
    public boolean hasLocality() {
        return locality.values().stream().anyMatch(l -> !l.isEmpty());
    }
}
