package dev.emend.gateway.mapping;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** JSON of A/B experiments and evaluations. */
public final class ExperimentJson {
    private ExperimentJson() {
    }

    /** One arm of POST /v1/experiments: a space and its weight; phase only needed for "base". */
    public record ArmJson(String name, String space, String phase, Double weight) {
    }

    public record CreateExperimentJson(String name, List<ArmJson> arms) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LatencyJson(Double p50, Double p90, Double p99, Double mean) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ArmOutJson(String name, String space, String phase, double weight, double share, long requests,
                             long errors, double errorRate, LatencyJson latencyMs) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ExperimentOutJson(String id, String name, String createdAt, String createdBy, List<ArmOutJson> arms,
                                    List<JsonNode> evaluations) {
    }

    /** Where an evaluation's cases come from: a data set file as evaluation-service sees it. */
    public record DatasetJson(String name, String path, String format) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TargetJson(String phase, String method, java.util.Map<String, Object> hparams, String space, String label) {
    }

    public record ModeJson(String mode, Integer batchSize, List<Integer> checkpoints) {
    }

    public record ProtocolJson(List<String> scoring, String schedule, Boolean skipFluency, Integer fluencyMaxTotalTokens,
                               Integer fluencyTopK, Boolean keepSpaces) {
    }

    /**
     * The general-health set of an evaluation (evaluation.proto's HealthSet): texts for perplexity,
     * facts for recall (those naming an edited subject are left out), prompts for fluency.
     */
    public record HealthJson(@Schema(maxLength = 200) String name,
                             @Schema(description = "texts of two words or more; at most 2,000") List<String> texts,
                             @Schema(description = "at most 2,000") List<EditJson.ProbeJson> facts,
                             @Schema(description = "at most 200") List<String> fluencyPrompts) {
    }

    /** Body of POST /v1/evaluations. */
    public record EvaluationJson(String name, DatasetJson dataset, List<EditJson.EditRequestJson> cases,
                                 List<TargetJson> targets, ModeJson mode, ProtocolJson protocol, Integer limit, Long seed,
                                 Boolean shuffle,
                                 @Schema(description = "measure general health before and after the edits (batch or sequential mode)")
                                 HealthJson health) {
    }

    /** Body of POST /v1/experiments/{id}/evaluations: the arms are the targets. */
    public record ExperimentEvaluationJson(String name, DatasetJson dataset, List<EditJson.EditRequestJson> cases,
                                           ModeJson mode, ProtocolJson protocol, Integer limit, Long seed,
                                           Boolean shuffle,
                                           @Schema(description = "measure general health before and after the edits (batch or sequential mode)")
                                           HealthJson health) {
    }

    public record EvaluationStartedJson(String id, String status, String location, String experimentId) {
    }
}
