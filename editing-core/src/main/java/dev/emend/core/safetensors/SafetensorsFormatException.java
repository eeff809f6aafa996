package dev.emend.core.safetensors;

import java.io.IOException;

/**
 * Thrown when a safetensors file, or a sharded checkpoint index, is malformed or inconsistent, or
 * uses something this reader does not support (a single tensor of 2 GiB or more). Messages always name the offending file and, where one is involved, the tensor, because the
 * typical reader is a person staring at a checkpoint directory with dozens of shards.
 */
public class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(String message) {
        super(message);
    }

    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
