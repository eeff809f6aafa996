package dev.emend.knowedit.report;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.knowedit.metrics.CaseResult;
import dev.emend.knowedit.metrics.MethodMetrics;
import dev.emend.knowedit.metrics.Protocol;
import dev.emend.knowedit.metrics.SequentialSeries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    static final Protocol P = new Protocol(Protocol.Scoring.TEACHER_FORCED, Protocol.Mode.SINGLE,
            Protocol.ScoredAfter.EACH_EDIT, "0123456789abcdef", Map.of("layers", List.of(1), "v_lr", 0.5));

    /** ROME: rewrite 1, 0.5 -> 75; rephrase 0.5, 0 -> 25; portability -, 0.25 -> 25; locality 1, 0.5 -> 75;
     *  fluency 5.5, 6.0 bits -> 575; gen EM 1, 0 -> 50. */
    static MethodMetrics rome() {
        return MethodMetrics.aggregate("ROME", P, List.of(
                new CaseResult("counterfact/0", 1.0, 0.5, null, 1.0, 5.5, 1.0),
                new CaseResult("counterfact/1", 0.5, 0.0, 0.25, 0.5, 6.0, 0.0)));
    }

    /** FT-L: one case, no portability/fluency. */
    static MethodMetrics ftl() {
        return MethodMetrics.aggregate("FT-L", P, List.of(new CaseResult("counterfact/0", 0.2, 0.1, null, 0.9, null, 0.0)));
    }

    @Test
    void markdownHasTheNumbers() {
        String md = KnowEditTable.markdown("counterfact", List.of(rome(), ftl()), PublishedResults.forDataset("counterfact"));
        assertTrue(md.contains("| ROME | 75.00 | 25.00 | 25.00 | 75.00 | 575.00 | 50.00 | 2 |"), md);
        assertTrue(md.contains("| FT-L | 20.00 | 10.00 | — | 90.00 | — | 0.00 | 1 |"), md);
        assertTrue(md.contains("| ROME | 98.57 | — | 55.92 | 51.97 | 584.04 |"), md);
        assertTrue(md.contains("Published reference rows — another model and data set, not comparable cell by cell: "
                + PublishedResults.MODEL + " on KnowEdit counterfact"), md);
        assertTrue(md.contains("teacher-forced, single edits, scored after each edit, model 0123456789ab"), md);
        assertTrue(md.startsWith("| Method | Edit Succ | Generalization | Portability | Locality | Fluency |"), md);
    }

    @Test
    void jsonUsesSnakeCaseKeysAndNulls() {
        String json = KnowEditTable.json("counterfact", List.of(rome(), ftl()), PublishedResults.forDataset("zsre"));
        JsonObject root = JsonParser.parseString(json).getAsJsonObject();
        assertEquals("counterfact", root.get("dataset").getAsString());
        JsonObject r = root.getAsJsonObject("methods").getAsJsonObject("ROME");
        assertEquals(75.0, r.get("edit_succ").getAsDouble(), 1e-9);
        assertEquals(25.0, r.get("generalization").getAsDouble(), 1e-9);
        assertEquals(25.0, r.get("portability").getAsDouble(), 1e-9);
        assertEquals(75.0, r.get("locality").getAsDouble(), 1e-9);
        assertEquals(575.0, r.get("fluency").getAsDouble(), 1e-9);
        assertEquals(2, r.get("n").getAsInt());
        assertEquals("single", r.getAsJsonObject("protocol").get("mode").getAsString());
        assertEquals(0.5, r.getAsJsonObject("protocol").getAsJsonObject("hparams").get("v_lr").getAsDouble(), 1e-9);
        assertTrue(root.getAsJsonObject("methods").getAsJsonObject("FT-L").get("portability").isJsonNull());
        JsonObject pub = root.getAsJsonObject("published").getAsJsonObject("methods").getAsJsonObject("MEND");
        assertEquals(96.74, pub.get("edit_succ").getAsDouble(), 1e-9);
        assertEquals(92.79, pub.get("locality").getAsDouble(), 1e-9);
    }

    @Test
    void publishedTableHoldsEverySixDatasets() {
        for (dev.emend.knowedit.KnowEditFormat f : dev.emend.knowedit.KnowEditFormat.values()) {
            assertEquals(8, PublishedResults.forDataset(f.shortName()).size(), f.shortName());
        }
        assertEquals(8, PublishedResults.forDataset("ZsRE").size());
        PublishedResults.Row ftm = PublishedResults.forDataset("counterfact").stream()
                .filter(x -> x.method().equals("FT-M")).findFirst().orElseThrow();
        assertEquals(100.0, ftm.editSucc());
        assertEquals(74.36, ftm.portability());
        assertEquals(76.76, ftm.locality());
        assertEquals(575.62, ftm.fluency());
        PublishedResults.Row rome = PublishedResults.forDataset("sanitation").stream()
                .filter(x -> x.method().equals("ROME")).findFirst().orElseThrow();
        assertEquals(85.00, rome.editSucc());
        assertEquals(50.31, rome.locality());
        assertEquals(null, rome.portability(), "the task data sets publish no portability");
        assertTrue(PublishedResults.forDataset("emend-facts").isEmpty());
    }

    @Test
    void theFamilyIsTheFormatElseANameInTheFileName() {
        assertEquals("sanitation", PublishedResults.family(dev.emend.knowedit.KnowEditFormat.SANITATION, "erasure.json"));
        assertEquals("wikibio", PublishedResults.family(dev.emend.knowedit.KnowEditFormat.WIKIBIO, "longform.json"));
        assertEquals("zsre", PublishedResults.family(null, "my-zsre-cases.json"));
        assertEquals("facts.json", PublishedResults.family(null, "facts.json"));
    }

    @Test
    void barChartIsWrittenAtTheRequestedSizeAndHasColour(@TempDir Path dir) throws IOException {
        Path png = Charts.writeMethodBars(dir.resolve("sub/bars.png"), "counterfact (emend-facts)",
                List.of(rome(), ftl()), 900, 500);
        assertTrue(Files.size(png) > 5_000, "PNG suspiciously small: " + Files.size(png));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(900, img.getWidth());
        assertEquals(500, img.getHeight());
        // the first two series colours of the palette appear (bars were drawn)
        Set<Integer> colours = colours(img);
        assertTrue(colours.contains(new Color(0x1f77b4).getRGB() & 0xffffff), "ROME bars missing");
        assertTrue(colours.contains(new Color(0xff7f0e).getRGB() & 0xffffff), "FT-L bars missing");
        assertThrows(IllegalArgumentException.class,
                () -> Charts.writeMethodBars(dir.resolve("x.png"), "t", List.of(), 900, 500));
    }

    @Test
    void sequentialChartIsWritten(@TempDir Path dir) throws IOException {
        Protocol seq = new Protocol(Protocol.Scoring.TEACHER_FORCED, Protocol.Mode.SEQUENTIAL,
                Protocol.ScoredAfter.ALL_EDITS, "0123456789abcdef", Map.of());
        SequentialSeries grace = new SequentialSeries("GRACE", List.of(
                new SequentialSeries.Point(1, new MethodMetrics("GRACE", 100.0, 40.0, null, 100.0, null, null, 1, seq)),
                new SequentialSeries.Point(10, new MethodMetrics("GRACE", 98.0, 35.0, null, 100.0, null, null, 10, seq)),
                new SequentialSeries.Point(100, new MethodMetrics("GRACE", 95.0, 30.0, null, 99.0, null, null, 100, seq))));
        SequentialSeries rome = new SequentialSeries("ROME", List.of(
                new SequentialSeries.Point(1, new MethodMetrics("ROME", 100.0, 80.0, 50.0, 95.0, null, null, 1, seq)),
                new SequentialSeries.Point(10, new MethodMetrics("ROME", 70.0, 50.0, 30.0, 60.0, null, null, 10, seq)),
                new SequentialSeries.Point(100, new MethodMetrics("ROME", 10.0, 5.0, 2.0, 5.0, null, null, 100, seq))));
        Path png = Charts.writeSequentialLines(dir.resolve("seq.png"), "sequential editing, counterfact",
                List.of(grace, rome), 800, 900);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(900, img.getHeight());
        Set<Integer> colours = colours(img);
        assertTrue(colours.contains(new Color(0x1f77b4).getRGB() & 0xffffff));
        assertTrue(colours.contains(new Color(0xff7f0e).getRGB() & 0xffffff));
        assertThrows(IllegalArgumentException.class,
                () -> Charts.writeSequentialLines(dir.resolve("y.png"), "t", List.of(), 800, 900));
    }

    private static Set<Integer> colours(BufferedImage img) {
        Set<Integer> s = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 1) {
            for (int x = 0; x < img.getWidth(); x += 1) {
                s.add(img.getRGB(x, y) & 0xffffff);
            }
        }
        return s;
    }
}
