package dev.emend.mastery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The committed tiny checkpoint is the one its recipe makes. */
class TinyFactModelTest {
    private static Path root() {
        String root = System.getProperty("emend.repo.root");
        assertTrue(root != null, "run under Maven (emend.repo.root)");
        return Path.of(root);
    }

    @Test
    void theCheckpointOfTheCurrentRecipeIsCommitted() {
        Path committed = root().resolve(TinyFactModel.COMMITTED).resolve(TinyFactModel.recipeKey());
        assertTrue(Files.isRegularFile(committed.resolve("model.safetensors")), "no committed tiny model for recipe "
                + TinyFactModel.recipeKey() + ": the recipe or corpus changed; run the mastery-methods tests once and"
                + " move .cache/tiny-facts/" + TinyFactModel.recipeKey() + " to " + TinyFactModel.COMMITTED);
    }

    /** Slow tier: training from the recipe again gives the committed weights, byte for byte. */
    @Test
    @Tag("slow")
    void retrainingReproducesTheCommittedWeights() throws IOException {
        Path committed = root().resolve(TinyFactModel.COMMITTED).resolve(TinyFactModel.recipeKey());
        Path fresh = Files.createTempDirectory("tiny-facts-retrain");
        try {
            TinyFactModel.trainInto(fresh);
            assertArrayEquals(Files.readAllBytes(committed.resolve("model.safetensors")),
                    Files.readAllBytes(fresh.resolve("model.safetensors")));
            assertArrayEquals(Files.readAllBytes(committed.resolve("tokenizer.json")),
                    Files.readAllBytes(fresh.resolve("tokenizer.json")));
        } finally {
            deleteTree(fresh);
            deleteTree(fresh.resolveSibling(fresh.getFileName() + "-tok"));
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var w = Files.walk(dir)) {
            for (Path f : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
