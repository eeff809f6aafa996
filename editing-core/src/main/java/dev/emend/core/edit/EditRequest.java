package dev.emend.core.edit;

import java.util.List;
import java.util.Map;

/**
 * One fact change in the field names of EasyEdit and KnowEdit (mirrors emend.v1.EditRequest).
 * {@code locality} and {@code portability} are for evaluation only: methods must not train on them.
 */
public record EditRequest(String prompt, String subject, String targetNew, List<String> groundTruth,
                          List<String> rephrasePrompts, Map<String, List<Probe>> locality,
                          Map<String, List<Probe>> portability, String caseId, Map<String, Object> extra) {
    public EditRequest {
        prompt = prompt == null ? "" : prompt;
        subject = subject == null ? "" : subject;
        targetNew = targetNew == null ? "" : targetNew;
        groundTruth = groundTruth == null ? List.of() : List.copyOf(groundTruth);
        rephrasePrompts = rephrasePrompts == null ? List.of() : List.copyOf(rephrasePrompts);
        locality = locality == null ? Map.of() : Map.copyOf(locality);
        portability = portability == null ? Map.of() : Map.copyOf(portability);
        caseId = caseId == null ? "" : caseId;
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    /** The minimal request: prompt, subject and new target. */
    public static EditRequest of(String prompt, String subject, String targetNew) {
        return new EditRequest(prompt, subject, targetNew, null, null, null, null, null, null);
    }
}
