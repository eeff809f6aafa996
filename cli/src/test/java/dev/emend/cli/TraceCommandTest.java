package dev.emend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.tokenizer.BpeTokenizerTrainer;
import dev.emend.core.tokenizer.TextTokenizer;
import dev.emend.factworld.world.FactWorld;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./emend trace and trace-average on a tiny random 2-layer GPT-2 with a facts.json. */
class TraceCommandTest {
    @TempDir
    static Path tmp;

    static Path model;

    @BeforeAll
    static void buildTinyCheckpoint() throws Exception {
        model = tmp.resolve("tiny");
        List<String> docs = List.of("The capital of France is Paris.", "The capital of Italy is Rome.",
                "Paris is a city in France.", "Rome is a city in Italy.");
        CliTestSupport.tinyCheckpoint(model, docs, 2);
    }

    static CliTestSupport.Run run(String... args) {
        return CliTestSupport.run(args);
    }

    @Test
    void traceWritesThreeLabelledHeatmapsAndTheGrids() throws Exception {
        Path out = tmp.resolve("one");
        CliTestSupport.Run r = run("trace", "The capital of France is", "--subject", "France", "--target", "Paris",
                "--samples", "3", "--model", model.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("BLOCK restored") && r.out().contains("MLP restored")
                && r.out().contains("ATTENTION restored"), r.out());
        assertTrue(r.out().contains("subjects of tiny/facts.json"), "noise from the model's facts: " + r.out());
        assertTrue(r.out().contains("' France'*"), "subject tokens are starred: " + r.out());
        for (String kind : new String[] {"block", "mlp", "attention"}) {
            Path png = out.resolve("trace-" + kind + ".png");
            BufferedImage img = ImageIO.read(png.toFile());
            assertTrue(img != null && img.getWidth() >= 560 && img.getHeight() >= 320, png + " is a picture");
        }
        CliTestSupport.Run json = run("trace", "The capital of France is", "--subject", "France", "--samples", "2", "--format", "json",
                "--model", model.toString(), "--out", out.toString());
        assertEquals(0, json.code(), json.err());
        JsonObject o = JsonParser.parseString(json.out()).getAsJsonObject();
        assertEquals(2, o.getAsJsonArray("mlp").size(), "one row per layer");
        assertEquals(o.getAsJsonArray("tokens").size(), o.getAsJsonArray("mlp").get(0).getAsJsonArray().size());
    }

    @Test
    void badInputExitsWithTwoAndSaysWhatWasWrong() {
        CliTestSupport.Run r = run("trace", "The capital of France is", "--subject", "Germany", "--model", model.toString(),
                "--out", tmp.resolve("bad").toString());
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("does not occur"), r.err());
        CliTestSupport.Run t = run("trace", "The capital of France is", "--subject", "France", "--target", " ", "--model",
                model.toString(), "--out", tmp.resolve("bad").toString());
        assertEquals(2, t.code());
        assertTrue(t.err().contains("tokenizes to nothing"), t.err());
        assertTrue(!Files.exists(tmp.resolve("bad").resolve("trace-mlp.png")), "nothing written");
    }

    @Test
    void traceAverageWritesJsonAndPicturesAndRedraws() throws Exception {
        Path out = tmp.resolve("avg");
        CliTestSupport.Run r = run("trace-average", "-n", "3", "--samples", "2", "--pairs", "2", "--model", model.toString(),
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 facts traced"), r.out());
        assertTrue(r.out().contains("mean indirect effect, MLP restored"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(out.resolve("trace-average.json"))).getAsJsonObject();
        assertEquals(3, o.get("traces").getAsInt());
        assertEquals(6, o.getAsJsonArray("mlp").get(0).getAsJsonArray().size(), "six token kinds");
        Files.delete(out.resolve("trace-average-mlp.png"));
        CliTestSupport.Run again = run("trace-average", "--from", out.resolve("trace-average.json").toString(), "--out", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(ImageIO.read(out.resolve("trace-average-mlp.png").toFile()).getWidth() > 0);
    }
}
