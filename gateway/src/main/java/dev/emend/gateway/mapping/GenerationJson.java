package dev.emend.gateway.mapping;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/** JSON of generate and score. */
public final class GenerationJson {
    private GenerationJson() {
    }

    /** Body of POST /v1/spaces/{space}/generate. Unset sampling fields use the service defaults. */
    public record GenerateJson(String prompt, Integer maxNewTokens, Integer maxTotalTokens, Double temperature,
                               Integer topK, Double topP, Long seed, List<String> stop) {
    }

    /** Body of POST /v1/experiments/{id}/generate: generate plus the caller to assign to an arm. */
    public record ExperimentGenerateJson(String prompt, Integer maxNewTokens, Integer maxTotalTokens, Double temperature,
                                         Integer topK, Double topP, Long seed, List<String> stop, String caller) {
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
    public record ScoreJson(String prompt, String target) {
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
