package dev.emend.gateway.mapping;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/** JSON of generate and score. */
public final class GenerationJson {
    private GenerationJson() {
    }

    /** Body of POST /v1/spaces/{space}/generate. Unset sampling fields use the service defaults. */
    public record GenerateJson(@Schema(required = true, minLength = 1, maxLength = 2000) String prompt,
                               @Schema(minimum = "0", maximum = "256", description = "0 = the service default") Integer maxNewTokens,
                               @Schema(minimum = "0") Integer maxTotalTokens,
                               @Schema(minimum = "0", maximum = "100", description = "0 = greedy") Double temperature,
                               @Schema(minimum = "0", description = "0 = no limit") Integer topK,
                               @Schema(minimum = "0", exclusiveMinimum = true, maximum = "1") Double topP, Long seed,
                               @Schema(maxItems = 16) List<String> stop) {
    }

    /** Body of POST /v1/experiments/{id}/generate: generate plus the caller to assign to an arm. */
    public record ExperimentGenerateJson(@Schema(required = true, minLength = 1, maxLength = 2000) String prompt,
                               @Schema(minimum = "0", maximum = "256", description = "0 = the service default") Integer maxNewTokens,
                               @Schema(minimum = "0") Integer maxTotalTokens,
                               @Schema(minimum = "0", maximum = "100", description = "0 = greedy") Double temperature,
                               @Schema(minimum = "0", description = "0 = no limit") Integer topK,
                               @Schema(minimum = "0", exclusiveMinimum = true, maximum = "1") Double topP, Long seed,
                               @Schema(maxItems = 16) List<String> stop,
                                         @Schema(description = "who is asking (sticky arm); else X-Caller-Id, else the key")
                                         String caller) {
        public GenerateJson generate() {
            return new GenerateJson(prompt, maxNewTokens, maxTotalTokens, temperature, topK, topP, seed, stop);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record GeneratedJson(String text, List<Integer> tokenIds, String promptUsed, int promptTokens,
                                String finishReason, String phase, String space, EditJson.ModelVersionJson modelVersion,
                                List<String> matchedEditIds, List<EditJson.NoteJson> notes, long seed,
                                String experimentId, String arm) {
        public GeneratedJson inArm(String experiment, String armName) {
            return new GeneratedJson(text, tokenIds, promptUsed, promptTokens, finishReason, phase, space, modelVersion,
                    matchedEditIds, notes, seed, experiment, armName);
        }
    }

    /** Body of POST /v1/spaces/{space}/score. */
    public record ScoreJson(@Schema(required = true, minLength = 1, maxLength = 2000) String prompt,
                            @Schema(required = true, minLength = 1, maxLength = 2000) String target) {
    }

    public record TokenScoreJson(int index, int targetId, String targetPiece, int argmaxId, String argmaxPiece,
                                 double logProb, double argmaxLogProb) {
    }

    public record ScoredJson(String phase, String space, EditJson.ModelVersionJson modelVersion, String prompt,
                             String target, String promptUsed, int promptTokens, double tokenAccuracy,
                             double sumLogProb, List<TokenScoreJson> tokens, List<String> matchedEditIds,
                             List<EditJson.NoteJson> notes) {
    }
}
