package dev.emend.mastery.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real checkpoint without a corpus: the service starts, and only a method that needs C fails, saying why. */
class StatsCorpusTest {
    @Test
    void aMissingCorpusIsTheErrorOfItsFirstUseNotOfStartup(@TempDir Path checkpoint) {
        Supplier<List<String>> corpus = StatsCorpus.lazy(checkpoint, Optional.empty()); // no facts.json, no file: no error yet
        IllegalStateException e = assertThrows(IllegalStateException.class, corpus::get);
        assertTrue(e.getMessage().contains("EMEND_MASTERY_CORPUS") && e.getMessage().contains("FT-M"), e.getMessage());
    }

    @Test
    void aCorpusFileIsReadOnceAtItsFirstUse(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("corpus.txt");
        Supplier<List<String>> corpus = StatsCorpus.lazy(dir, Optional.of(file)); // the file does not exist yet
        Files.writeString(file, "first document\n\nsecond document\n");
        List<String> lines = corpus.get();
        assertEquals(List.of("first document", "second document"), lines);
        Files.delete(file);
        assertSame(lines, corpus.get());
    }
}
