package dev.emend.core.model;

/**
 * A checkpoint (config, weights or tokenizer) that cannot be used as it is. The message always
 * names the file or field and says what was expected, so a user can fix the checkpoint.
 */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
