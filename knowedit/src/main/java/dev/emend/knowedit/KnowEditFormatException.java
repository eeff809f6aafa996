package dev.emend.knowedit;

import java.nio.file.Path;

/**
 * A KnowEdit file could not be read. The message names the file, the record index and the field
 * path (e.g. {@code portability.Reasoning[0].ground_truth}); nothing of the file is returned
 * when this is thrown.
 */
public class KnowEditFormatException extends RuntimeException {
    private final Path file;
    private final int recordIndex;
    private final String fieldPath;

    public KnowEditFormatException(Path file, int recordIndex, String fieldPath, String problem) {
        this(file, recordIndex, fieldPath, problem, null);
    }

    public KnowEditFormatException(Path file, int recordIndex, String fieldPath, String problem, Throwable cause) {
        super(message(file, recordIndex, fieldPath, problem), cause);
        this.file = file;
        this.recordIndex = recordIndex;
        this.fieldPath = fieldPath == null ? "" : fieldPath;
    }

    private static String message(Path file, int recordIndex, String fieldPath, String problem) {
        StringBuilder sb = new StringBuilder().append(file);
        if (recordIndex >= 0) {
            sb.append(": record ").append(recordIndex);
        }
        if (fieldPath != null && !fieldPath.isEmpty()) {
            sb.append(": field ").append(fieldPath);
        }
        return sb.append(": ").append(problem).toString();
    }

    /** The file that was read. */
    public Path file() {
        return file;
    }

    /** 0-based index of the offending record, or -1 when the problem concerns the whole file. */
    public int recordIndex() {
        return recordIndex;
    }

    /** Path of the offending field inside the record, or "" when it concerns the record/file. */
    public String fieldPath() {
        return fieldPath;
    }
}
