package dev.emend.gateway.mapping;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/** JSON of spaces, methods and keys. */
public final class SpaceJson {
    private SpaceJson() {
    }

    /** Body of POST /v1/spaces. */
    public record CreateSpaceJson(@Schema(required = true, pattern = "^[a-z0-9][a-z0-9_-]{0,62}$") String name,
                                  @Schema(required = true, enumeration = {"recognition", "association", "mastery"}) String phase,
                                  @Schema(maxLength = 1000) String description) {
    }

    /** A space: the gateway's record plus the phase service's live state (absent when the phase is down). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SpaceOutJson(String name, String phase, String description, EditJson.ModelVersionJson modelVersion,
                               Long liveEdits, Boolean readOnly, String createdAt, String updatedAt, String status) {
    }

    public record SpaceListJson(List<SpaceOutJson> spaces, List<String> unavailablePhases) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HparamJson(String name, String type, Object defaultValue, Double min, Double max,
                             List<String> allowedValues, String description) {
    }

    public record MethodJson(String name, String phase, String modelFamily, String description,
                             List<String> supportedModes, int maxBatchSize, boolean exactRollback, String hparamsSource,
                             List<HparamJson> hparams,
                             @Schema(description = "needs a trained component before it edits (MEND): POST /v1/methods/{method}/training trains it")
                             boolean trainable) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PhaseStatusJson(String phase, String status, String serviceVersion, Map<String, Object> model,
                                  String detail) {
    }

    public record MethodListJson(List<MethodJson> methods, List<PhaseStatusJson> phases) {
    }

    /** Body of POST /v1/keys. */
    public record CreateKeyJson(@Schema(required = true, minLength = 1, maxLength = 200) String name,
                                @Schema(required = true, enumeration = {"reader", "editor", "admin"}) String role,
                                @Schema(description = "spaces an editor may edit; [\"*\"] = all") List<String> spaces,
                                @Schema(minimum = "1", maximum = "1000000") Long requestsPerMinute) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record KeyOutJson(String id, String name, String role, List<String> spaces, Long requestsPerMinute,
                             String createdAt, String createdBy, String key) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AuditJson(long id, String at, String keyId, String keyName, String role, String action, String space,
                            String phase, String method, List<String> editIds, String idempotencyKey, String outcome,
                            int httpStatus, String detail) {
    }
}
