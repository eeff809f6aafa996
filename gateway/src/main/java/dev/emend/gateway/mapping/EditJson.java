package dev.emend.gateway.mapping;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/** JSON of the edit API, in EasyEdit/KnowEdit field names (snake_case). */
public final class EditJson {
    private EditJson() {
    }

    /** One probe of a locality or portability set; ground_truth may be a string or a list. */
    public record ProbeJson(@Schema(required = true, minLength = 1, maxLength = 2000) String prompt,
                            @Schema(description = "a string or a list of strings", oneOf = {String.class, String[].class})
                            @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> groundTruth) {
    }

    /** One fact change (a KnowEdit record). */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record EditRequestJson(@Schema(required = true, minLength = 1, maxLength = 2000) String prompt,
                                  @Schema(description = "the subject as it occurs in the prompt (required by the mastery methods)",
                                          maxLength = 2000) String subject,
                                  @Schema(required = true, minLength = 1, maxLength = 2000) String targetNew,
                                  @Schema(description = "a string or a list of strings", oneOf = {String.class, String[].class})
                                  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> groundTruth,
                                  @Schema(description = "a string or a list of strings", oneOf = {String.class, String[].class})
                                  @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> rephrasePrompt,
                                  Map<String, List<ProbeJson>> locality, Map<String, List<ProbeJson>> portability,
                                  String caseId, Map<String, Object> extra) {
    }

    /** Body of POST /v1/spaces/{space}/edits. */
    public record ApplyEditsJson(@Schema(required = true, description = "a method of the space's phase (GET /v1/methods)")
                                 String method,
                                 Map<String, Object> hparams,
                                 @Schema(required = true, minItems = 1, maxItems = 64) List<EditRequestJson> requests,
                                 @Schema(enumeration = {"single", "batch", "sequential"}) String mode,
                                 @Schema(minimum = "0") Integer batchSize,
                                 @Schema(minimum = "0") Long expectedSequence) {
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
