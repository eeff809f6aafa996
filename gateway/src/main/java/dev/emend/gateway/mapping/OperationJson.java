package dev.emend.gateway.mapping;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.emend.gateway.rest.Problem;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** JSON of operations (long edits and method trainings run in the background; snake_case on the wire). */
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

    /** An operation: the call, its state, its progress, and at the end its result or its problem. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OperationOutJson(String id,
                                   @Schema(enumeration = {"edit", "training"}, description = "edit: edit requests on a space; "
                                           + "training: a method's component trained for its phase's model") String kind,
                                   @Schema(description = "the edited space; absent for a training") String space,
                                   String phase, String method,
                                   @Schema(description = "edit requests in the call (0 for a training)") int requests,
                                   @Schema(enumeration = {"queued", "running", "succeeded", "failed", "cancelled"}) String status,
                                   ProgressJson progress, boolean cancelRequested,
                                   @Schema(description = "times the call was sent to its phase (re-sent after a restart)") int attempts,
                                   String idempotencyKey, String createdAt, String updatedAt, String finishedAt,
                                   @Schema(description = "the edits, as POST /v1/spaces/{space}/edits answers; only when succeeded")
                                   EditJson.AppliedJson result,
                                   @Schema(description = "the trained component; only when a training succeeded")
                                   TrainedJson trained,
                                   @Schema(description = "why it failed or what a cancel left; only when failed or cancelled")
                                   Problem error) {
    }

    /** Body of POST /v1/methods/{method}/training (every field optional). */
    public record TrainingJson(@Schema(description = "KnowEdit training files inside the phase service's data set directories "
                                       + "(relative to its data directory); default: the zsRE and counterfact training splits",
                                       maxItems = 64) List<String> trainFiles,
                               @Schema(description = "share of each file (its last records) held out for validation; default 0.1",
                                       minimum = "0", maximum = "1", exclusiveMaximum = true) Double valFraction,
                               @Schema(description = "overrides of the method's per-model defaults (GET /v1/methods lists them; "
                                       + "MEND's editor names the file under <model-dir>/mend/)") java.util.Map<String, Object> hparams,
                               @Schema(description = "replace an existing component (default false: 409 when one exists)")
                               Boolean overwrite) {
    }

    /** What a training wrote. */
    public record TrainedJson(@Schema(description = "the file written, next to the model") String file,
                              @Schema(description = "fingerprint of the model it was trained for (in the file)") String modelFingerprint,
                              List<String> trainFiles,
                              @Schema(description = "wall-clock seconds of the training") double seconds,
                              @Schema(description = "the method's last progress line") String summary) {
    }

    public record OperationListJson(List<OperationOutJson> operations) {
    }
}
