package dev.emend.mastery.memit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.mastery.TinyFactModel;
import dev.emend.mastery.probe.ProbeFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe reads a KnowEdit file and prints one table row per layer set. */
class MemitProbeTest {

    @Test
    void printsATableRow(@TempDir Path tmp) throws Exception {
        Path cases = ProbeFixture.cases(tmp);
        Path corpus = ProbeFixture.corpus(tmp);
        String text = ProbeFixture.stdout(() -> MemitProbe.main(new String[] {TinyFactModel.directory().toString(),
            cases.toString(), "2", "2,3", corpus.toString(), "--stats-dir=" + tmp.resolve("stats"), "--fact-token=last",
            "--steps=10", "--templates=5x5"}));
        assertTrue(text.contains("| MEMIT | [2, 3] |"), text);
    }
}
