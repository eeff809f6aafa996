package dev.emend.cli.stack;

import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunFollowerTest {
    @Test
    void progressLineFromTheRunsProtoJson() {
        String line = RunFollower.line(JsonParser.parseString(
                "{\"cases_done\": \"5\", \"cases_total\": \"10\", \"current_method\": \"FT-M\", \"stage\": \"editing\", \"eta_seconds\": 12.4}")
                .getAsJsonObject());
        assertEquals("[###############...............] 5/10 cases  FT-M editing  ETA 12 s", line);
        // Proto JSON leaves zero-valued fields out: an empty progress is 0/0, not an error.
        assertEquals("[..............................] 0/0 cases   ", RunFollower.line(new com.google.gson.JsonObject()));
    }

    @Test
    void onlySucceededAndFailedEndARun() {
        assertTrue(RunFollower.ended("RUN_STATUS_SUCCEEDED"));
        assertTrue(RunFollower.ended("RUN_STATUS_FAILED"));
        assertFalse(RunFollower.ended("RUN_STATUS_QUEUED"));
        assertFalse(RunFollower.ended("RUN_STATUS_RUNNING"));
        assertFalse(RunFollower.ended("RUN_STATUS_RESUMED"));
    }
}
