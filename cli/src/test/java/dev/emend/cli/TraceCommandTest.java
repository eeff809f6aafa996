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
        Path tokFile = BpeTokenizerTrainer.withVocabSize(300).trainAndWrite(docs, model);
        int vocab;
        int eos;
        try (TextTokenizer tok = TextTokenizer.load(tokFile)) {
            vocab = tok.vocabSize();
            eos = tok.eosId();
        }
        JsonObject cfg = new JsonObject();
        cfg.addProperty("model_type", "gpt2");
        cfg.addProperty("vocab_size", vocab);
        cfg.addProperty("n_layer", 2);
        cfg.addProperty("n_head", 2);
        cfg.addProperty("n_embd", 16);
        cfg.addProperty("n_inner", 32);
        cfg.addProperty("n_positions", 512);
        cfg.addProperty("bos_token_id", eos);
        cfg.addProperty("eos_token_id", eos);
        ModelFamily family = ModelFamilies.forModelType("gpt2");
        ModelConfig config = family.parseConfig(cfg);
        DecoderModel m = family.create(config);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = m.initialise(manager, 7L);
            Checkpoints.save(model, family, config, params, tokFile);
        }
        FactWorld.build(1L).writeFactsJson(model.resolve("facts.json"));
    }

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = EmendCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void traceWritesThreeLabelledHeatmapsAndTheGrids() throws Exception {
        Path out = tmp.resolve("one");
        Run r = run("trace", "The capital of France is", "--subject", "France", "--target", "Paris",
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
        Run json = run("trace", "The capital of France is", "--subject", "France", "--samples", "2", "--format", "json",
                "--model", model.toString(), "--out", out.toString());
        assertEquals(0, json.code(), json.err());
        JsonObject o = JsonParser.parseString(json.out()).getAsJsonObject();
        assertEquals(2, o.getAsJsonArray("mlp").size(), "one row per layer");
        assertEquals(o.getAsJsonArray("tokens").size(), o.getAsJsonArray("mlp").get(0).getAsJsonArray().size());
    }

    @Test
    void badInputExitsWithTwoAndSaysWhatWasWrong() {
        Run r = run("trace", "The capital of France is", "--subject", "Germany", "--model", model.toString(),
                "--out", tmp.resolve("bad").toString());
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("does not occur"), r.err());
        Run t = run("trace", "The capital of France is", "--subject", "France", "--target", " ", "--model",
                model.toString(), "--out", tmp.resolve("bad").toString());
        assertEquals(2, t.code());
        assertTrue(t.err().contains("tokenizes to nothing"), t.err());
        assertTrue(!Files.exists(tmp.resolve("bad").resolve("trace-mlp.png")), "nothing written");
    }

    @Test
    void traceAverageWritesJsonAndPicturesAndRedraws() throws Exception {
        Path out = tmp.resolve("avg");
        Run r = run("trace-average", "-n", "3", "--samples", "2", "--pairs", "2", "--model", model.toString(),
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 facts traced"), r.out());
        assertTrue(r.out().contains("mean indirect effect, MLP restored"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(out.resolve("trace-average.json"))).getAsJsonObject();
        assertEquals(3, o.get("traces").getAsInt());
        assertEquals(6, o.getAsJsonArray("mlp").get(0).getAsJsonArray().size(), "six token kinds");
        Files.delete(out.resolve("trace-average-mlp.png"));
        Run again = run("trace-average", "--from", out.resolve("trace-average.json").toString(), "--out", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(ImageIO.read(out.resolve("trace-average-mlp.png").toFile()).getWidth() > 0);
    }
}
