package dev.emend.gateway.mapping;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.emend.gateway.rest.Problem;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** JSON of edit operations (long edits run in the background; snake_case on the wire). */
public final class OperationJson {
    private OperationJson() {
    }

    /** Where a running operation stands, as its phase service reports it. */
    public record ProgressJson(@Schema(description = "what the method is doing now, e.g. 'z-step of 1000 requests'") String stage,
                               @Schema(minimum = "0", maximum = "1") double fraction,
                               @Schema(description = "units (one edit or one batch) committed so far") int unitsDone,
                               int unitsTotal,
                               @Schema(description = "seconds since the operation was accepted") double elapsedSeconds,
                               @Schema(description = "estimated seconds to the end; 0 when unknown") double etaSeconds) {
    }

    /** An edit operation: the call, its state, its progress, and at the end its result or its problem. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OperationOutJson(String id, String space, String phase, String method,
                                   @Schema(description = "edit requests in the call") int requests,
                                   @Schema(enumeration = {"queued", "running", "succeeded", "failed", "cancelled"}) String status,
                                   ProgressJson progress, boolean cancelRequested,
                                   @Schema(description = "times the call was sent to its phase (re-sent after a restart)") int attempts,
                                   String idempotencyKey, String createdAt, String updatedAt, String finishedAt,
                                   @Schema(description = "the edits, as POST /v1/spaces/{space}/edits answers; only when succeeded")
                                   EditJson.AppliedJson result,
                                   @Schema(description = "why it failed or what a cancel left; only when failed or cancelled")
                                   Problem error) {
    }

    public record OperationListJson(List<OperationOutJson> operations) {
    }
}
