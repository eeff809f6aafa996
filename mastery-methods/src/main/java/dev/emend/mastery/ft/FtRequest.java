package dev.emend.mastery.ft;

/** One fact to train in: the prompt and the new object (read with a leading space after it). */
public record FtRequest(String prompt, String targetNew) {
    public FtRequest {
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("edit request field 'prompt' is empty");
        }
        if (targetNew == null || targetNew.isBlank()) {
            throw new IllegalArgumentException("edit request field 'target_new' is empty");
        }
    }
}
