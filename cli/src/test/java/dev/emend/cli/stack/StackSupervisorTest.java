package dev.emend.cli.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StackSupervisorTest {
    @Test
    void restartRequestsAreConsumedOnce(@TempDir Path root) throws Exception {
        StackLayout layout = new StackLayout(root);
        Files.createDirectories(layout.control());
        Files.writeString(layout.control().resolve("restart-mastery-service"), "");
        Files.writeString(layout.control().resolve("notes.txt"), "not a request");
        assertEquals(List.of("mastery-service"), StackSupervisor.requestedRestarts(layout));
        assertFalse(Files.exists(layout.control().resolve("restart-mastery-service")));
        assertTrue(Files.exists(layout.control().resolve("notes.txt")));
        assertEquals(List.of(), StackSupervisor.requestedRestarts(layout));
    }

    @Test
    void servicesWriteReportsUnderDotEmend(@TempDir Path root) {
        StackLayout layout = new StackLayout(root);
        Map<String, String> env = StackSupervisor.environment(layout, StackLayout.service("evaluation"), "k".repeat(20));
        assertEquals(root.resolve(".emend/reports").toString(), env.get("EMEND_REPORTS_DIR"));
        assertEquals("8084", env.get("EMEND_PORT"));
    }
}
