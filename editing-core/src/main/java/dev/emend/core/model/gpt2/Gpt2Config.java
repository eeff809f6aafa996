package dev.emend.core.model.gpt2;

import com.google.gson.JsonObject;
import dev.emend.core.model.CheckpointException;

/** Reads GPT-2's config fields, which older checkpoints spell differently. */
final class Gpt2Config {
    private Gpt2Config() {
    }

    static int intOf(JsonObject o, String... names) {
        for (String n : names) {
            if (o.has(n) && !o.get(n).isJsonNull()) {
                try {
                    return o.get(n).getAsInt();
                } catch (RuntimeException e) {
                    throw new CheckpointException("config.json: field '" + n + "' is not an integer: " + o.get(n));
                }
            }
        }
        throw new CheckpointException("config.json: missing required field '" + String.join("' or '", names) + "'");
    }
}
