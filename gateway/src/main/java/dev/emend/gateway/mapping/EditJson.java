package dev.emend.gateway.mapping;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/** JSON of the edit API, in EasyEdit/KnowEdit field names (snake_case). */
public final class EditJson {
    private EditJson() {
    }

    /** One probe of a locality or portability set; ground_truth may be a string or a list. */
    public record ProbeJson(String prompt,
                            @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> groundTruth) {
    }

    /** One fact change (a KnowEdit record). */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record EditRequestJson(String prompt, String subject, String targetNew,
                                  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> groundTruth,
                                  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> rephrasePrompt,
                                  Map<String, List<ProbeJson>> locality, Map<String, List<ProbeJson>> portability,
                                  String caseId, Map<String, Object> extra) {
    }

    /** Body of POST /v1/spaces/{space}/edits. */
    public record ApplyEditsJson(String method, Map<String, Object> hparams, List<EditRequestJson> requests,
                                 String mode, Integer batchSize, Long expectedSequence) {
    }

    public record ModelVersionJson(String space, long sequence, String baseFingerprint) {
    }

    public record TimingsJson(double queueMs, double computeMs, double commitMs, double totalMs) {
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record NoteJson(String code, String message, String field) {
    }

    /** A committed edit (one ledger entry). */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record EditRecordJson(String id, long sequence, String space, String phase, String method,
                                 Map<String, Object> hparams, EditRequestJson request, String mode, String batchId,
                                 String status, String supersededBy, Long rolledBackAtSequence, String committedAt,
                                 TimingsJson timings, List<NoteJson> notes, Map<String, Double> diagnostics,
                                 String caseId) {
    }

    /** Answer of POST /v1/spaces/{space}/edits. */
    public record AppliedJson(String phase, String space, ModelVersionJson modelVersion, String method,
                              Map<String, Object> effectiveHparams, List<EditRecordJson> edits, TimingsJson timings) {
    }

    /** Answer of DELETE /v1/spaces/{space}/edits/{id}. */
    public record RolledBackJson(String phase, String space, ModelVersionJson modelVersion, EditRecordJson edit,
                                 String kind, String reason, List<String> dependentEditIds,
                                 List<String> reactivatedEditIds) {
    }

    /** Answer of GET /v1/spaces/{space}/edits. */
    public record EditListJson(String phase, String space, ModelVersionJson modelVersion, List<EditRecordJson> edits,
                               String nextPageToken) {
    }
}
