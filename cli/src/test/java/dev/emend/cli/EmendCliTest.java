package dev.emend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the CLI in-process against a tiny random GPT-2 checkpoint built once per class. */
class EmendCliTest {
    @TempDir
    static Path tmp;

    static Path model;

    @BeforeAll
    static void buildTinyCheckpoint() throws Exception {
        model = tmp.resolve("tiny");
        List<String> docs = List.of(
                "The capital of France is Paris.",
                "The capital of Italy is Rome.",
                "The capital of Spain is Madrid.",
                "Paris is a city in France.",
                "Rome is a city in Italy.",
                "New fact: The capital of France is Rome. The capital of France is Rome.");
        CliTestSupport.tinyCheckpoint(model, docs, 1);
    }

    static CliTestSupport.Run run(String... args) {
        return CliTestSupport.run(args);
    }

    @Test
    void modelInfoPrintsFingerprintAndArchitecture() {
        CliTestSupport.Run r = run("model-info", "--model", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(Checkpoints.fingerprint(model)), r.out());
        assertTrue(r.out().contains("gpt2"), r.out());
        assertTrue(r.out().matches("(?s).*layers:\\s+1\\n.*"), r.out());
        assertTrue(r.out().contains(model.toAbsolutePath().toString()), r.out());
    }

    @Test
    void modelInfoShowsEachMethodsEditingDefaults() {
        // the tiny checkpoint is a 1-layer GPT-2: every method's defaults are gpt2-xl's, layers scaled 48 -> 1
        CliTestSupport.Run r = run("model-info", "--model", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("editing defaults"), r.out());
        for (String m : List.of("ROME", "R-ROME", "MEMIT", "AlphaEdit", "FT-L", "FT-M", "GRACE", "WISE", "LoRA", "AdaLoRA")) {
            assertTrue(r.out().matches("(?s).*\\n  " + java.util.regex.Pattern.quote(m)
                    + " +nearest published model gpt2-xl \\(gpt2, 48 layers.*"), m + ": " + r.out());
        }
        assertTrue(r.out().contains("source: hparams/ROME/gpt2-xl.yaml (layers scaled 48 -> 1)"), r.out());
        assertTrue(r.out().contains("layers=[0] fact_token=subject_last v_num_grad_steps=20 v_lr=0.5 v_loss_layer=0"), r.out());

        CliTestSupport.Run one = run("model-info", "--model", model.toString(), "--method", "memit", "--json");
        assertEquals(0, one.code(), one.err());
        JsonObject o = JsonParser.parseString(one.out()).getAsJsonObject();
        assertEquals("gpt2", o.get("family").getAsString());
        assertEquals(1, o.getAsJsonArray("editing_defaults").size());
        JsonObject memit = o.getAsJsonArray("editing_defaults").get(0).getAsJsonObject();
        assertEquals("MEMIT", memit.get("method").getAsString());
        assertEquals("scaled", memit.get("kind").getAsString());
        assertEquals("gpt2-xl", memit.get("reference").getAsString());
        assertEquals(20000.0, memit.getAsJsonObject("hparams").get("mom2_update_weight").getAsDouble());
        assertEquals("[0]", memit.getAsJsonObject("hparams").get("layers").toString());

        CliTestSupport.Run bad = run("model-info", "--model", model.toString(), "--method", "NOPE");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown method 'NOPE'") && bad.err().contains("AlphaEdit"), bad.err());
    }

    @Test
    void generatePrintsPromptAndContinuation() {
        String prompt = "The capital of France is";
        CliTestSupport.Run r = run("generate", prompt, "--model", model.toString(), "--max-tokens", "5");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(prompt), r.out());
        assertTrue(r.out().length() > prompt.length() + 1, "no continuation: " + r.out());
        // Greedy is deterministic, with or without the cache.
        CliTestSupport.Run again = run("generate", prompt, "--model", model.toString(), "--max-tokens", "5", "--no-cache");
        assertEquals(r.out(), again.out());
    }

    @Test
    void scorePrintsTokenAccuracyAsTableAndJson() {
        CliTestSupport.Run r = run("score", "The capital of France is", "Paris", "--model", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("token accuracy:"), r.out());
        assertTrue(r.out().contains("sum log-prob:"), r.out());
        CliTestSupport.Run j = run("score", "The capital of France is", "Paris", "--model", model.toString(), "--format", "json");
        assertEquals(0, j.code(), j.err());
        JsonObject o = JsonParser.parseString(j.out()).getAsJsonObject();
        double acc = o.get("token_accuracy").getAsDouble();
        assertTrue(acc >= 0 && acc <= 1);
        assertTrue(o.getAsJsonArray("tokens").size() >= 1);
    }

    @Test
    void factsCheckPrintsThreeLines() {
        CliTestSupport.Run r = run("facts-check", "--model", model.toString(), "--limit", "2");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\\R");
        assertEquals(3, lines.length, r.out());
        assertTrue(lines[0].matches("fact recall: \\d+\\.\\d %"), lines[0]);
        assertTrue(lines[1].matches("in-context update: \\d+\\.\\d %"), lines[1]);
        assertTrue(lines[2].matches("context robustness: \\d+\\.\\d %"), lines[2]);
        assertTrue(r.err().contains("fact recall: 2/2"), r.err());
    }

    @Test
    void missingModelDirectoryIsBadInputNamingTheDirectory() {
        Path missing = tmp.resolve("no-such-model");
        CliTestSupport.Run r = run("model-info", "--model", missing.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(missing.toAbsolutePath().toString()), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line expected: " + r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void verbosePrintsTheStackTrace() {
        CliTestSupport.Run r = run("--verbose", "generate", "x", "--model", tmp.resolve("absent").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void invalidGenerationOptionIsBadInput() {
        CliTestSupport.Run r = run("generate", "The capital", "--model", model.toString(), "--top-p", "2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("top_p"), r.err());
        CliTestSupport.Run notNumber = run("generate", "The capital", "--model", model.toString(), "--max-tokens", "many");
        assertEquals(2, notNumber.code());
        assertTrue(notNumber.err().contains("many"), notNumber.err());
    }

    @Test
    void unknownCommandPrintsUsage() {
        CliTestSupport.Run r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
        assertTrue(r.err().contains("Usage: emend"), r.err());
        CliTestSupport.Run none = run();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("Usage: emend"), none.err());
    }

    /** The synthetic shapes have the public models' parameter counts (tied embeddings counted once). */
    @Test
    void synthCheckpointShapesMatchThePublicModels() {
        Map<String, Long> expected = Map.of("llama-3.2-1b", 1_235_814_400L, "llama-3.2-3b", 3_212_749_824L);
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            var family = dev.emend.core.model.ModelFamilies.forModelType("llama");
            var model = family.create(family.parseConfig(SynthCheckpointCommand.config(e.getKey())));
            long n = model.parameterShapes().values().stream().mapToLong(ai.djl.ndarray.types.Shape::size).sum();
            assertEquals(e.getValue(), n, e.getKey());
        }
        // BOS/EOS are the shipped tokenizer's own <|endoftext|> (2047), not Llama 3's 128000/128001.
        Path defaultModel = EmendCli.defaultModelDir();
        try {
            var cfg = SynthCheckpointCommand.config("llama-3.2-1b", defaultModel);
            var tokenizer = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(defaultModel.resolve("tokenizer.json"))).getAsJsonObject();
            int endOfText = -1;
            for (var t : tokenizer.getAsJsonArray("added_tokens")) {
                if (t.getAsJsonObject().get("content").getAsString().equals("<|endoftext|>")) {
                    endOfText = t.getAsJsonObject().get("id").getAsInt();
                }
            }
            assertEquals(2047, endOfText);
            assertEquals(endOfText, cfg.get("bos_token_id").getAsInt());
            assertEquals(endOfText, cfg.get("eos_token_id").getAsInt());
            assertEquals(2048, cfg.get("hidden_size").getAsInt());
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        CliTestSupport.Run r = run("synth-checkpoint", "--shape", "llama-9b", "--out", "/nonexistent/x");
        assertTrue(r.err().contains("--shape llama-9b is not known: use llama-3.2-1b or llama-3.2-3b"), r.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : List.of("model-info", "generate", "score", "facts-check", "train-facts", "train-mend", "benchmarks",
                "runtime-bench", "tokenize", "synth-checkpoint")) {
            CliTestSupport.Run r = run(cmd, "--help");
            assertEquals(0, r.code(), cmd + ": " + r.err());
            assertTrue(r.out().contains("Usage: emend " + cmd), r.out());
        }
        CliTestSupport.Run t = run("train-facts", "--help");
        assertTrue(t.out().contains("default: 6"), t.out()); // layers from Spec.defaults()
    }

    @Test
    void runtimeBenchTimesOneEditOfAnyMethodByName() {
        CliTestSupport.Run r = run("runtime-bench", "--tokens", "4", "--runs", "1", "--batch", "1", "--edit", "rome",
                "--edit-set", "v_num_grad_steps=2", "--edit-set", "mom2_adjustment=false");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| one rome edit (in-process, defaults under --edit-set) |"), r.out());
        assertTrue(r.out().contains("| peak RSS (VmHWM) after the edit / checkpoint bytes |"), r.out());
        assertTrue(r.err().contains("v_num_grad_steps=2"), r.err());

        CliTestSupport.Run unknown = run("runtime-bench", "--edit", "NOPE");
        assertEquals(2, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("--edit: no method called 'NOPE'"), unknown.err());
        assertTrue(unknown.out().isEmpty(), "refused before any measurement: " + unknown.out());
        CliTestSupport.Run badHparam = run("runtime-bench", "--edit", "ROME", "--edit-set", "layers=abc");
        assertEquals(2, badHparam.code(), badHparam.err());
        assertTrue(badHparam.err().contains("expected a list, got the string 'abc'"), badHparam.err());
        assertTrue(badHparam.out().isEmpty(), "refused before any measurement: " + badHparam.out());
        CliTestSupport.Run orphan = run("runtime-bench", "--edit-set", "layers=[1]");
        assertEquals(2, orphan.code(), orphan.err());
        assertTrue(orphan.err().contains("--edit-set needs --edit METHOD"), orphan.err());
    }

    @Test
    void benchmarksOfGenerationTwoHoldTheFactAndTaskFiles() throws Exception {
        Path out = tmp.resolve("gen2-bench");
        CliTestSupport.Run r = run("benchmarks", "--generation", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        try (var files = java.nio.file.Files.list(out)) {
            assertEquals(java.util.Set.of("facts.json", "health.json", "counterfact.json", "counterfact-train.json",
                    "recent.json", "recent-train.json", "zsre.json", "zsre-train.json", "sequential.json",
                    "erasure.json", "erasure-train.json", "sentiment.json", "sentiment-train.json",
                    "longform.json", "longform-train.json"), files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        assertTrue(r.out().contains("erasure.json: 60 cases"), r.out());
        assertTrue(r.out().contains("counterfact.json: 300 cases"), r.out());
        assertTrue(r.out().contains("sequential.json: 1000 cases"), r.out());
        r = run("benchmarks", "--generation", "3", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--generation: 1 or 2, got 3"), r.err());
    }

    @Test
    void trainFactsRefusesToOverwriteACheckpoint() {
        CliTestSupport.Run r = run("train-facts", "--out", model.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--force"), r.err());
    }

    @Test
    void trainFactsGenerationTwoAndResumeNeedAnExplicitOut() {
        CliTestSupport.Run g = run("train-facts", "--generation", "2");
        assertEquals(2, g.code());
        assertTrue(g.err().contains("need an explicit --out"), g.err());
        CliTestSupport.Run r = run("train-facts", "--resume", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("need an explicit --out"), r.err());
        CliTestSupport.Run s = run("train-facts", "--out", tmp.resolve("x").toString(), "--stop-after-steps", "3");
        assertEquals(2, s.code());
        assertTrue(s.err().contains("--stop-after-steps needs --checkpoint-dir"), s.err());
        CliTestSupport.Run n = run("train-facts", "--out", tmp.resolve("y").toString(), "--resume", tmp.resolve("none").toString());
        assertEquals(2, n.code());
        assertTrue(n.err().contains("no spec.json"), n.err());
    }

    @Test
    void trainFactsRefusesASlowMlpScaleWithoutLayers() {
        CliTestSupport.Run r = run("train-facts", "--out", tmp.resolve("z").toString(), "--slow-mlp-lr-scale", "0.1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--slow-mlp-lr-scale 0.1 needs --slow-mlp-layers"), r.err());
    }

    @Test
    void trainFactsRefusesAnMlpWidthBelowOne() {
        CliTestSupport.Run r = run("train-facts", "--out", tmp.resolve("w").toString(), "--mlp-width", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--mlp-width must be positive, got 0"), r.err());
    }

    @Test
    void trainMendWritesAnEditorResumesItAndRefusesToOverwriteIt() throws Exception {
        Path cases = tmp.resolve("mend-train.json");
        String loc = "\"locality\": {\"Relation_Specificity\": [{\"prompt\": \"The capital of Italy is\", \"ground_truth\": [\"Rome\"]}]}";
        java.nio.file.Files.writeString(cases, "[{\"subject\": \"France\", \"prompt\": \"The capital of France is\", "
                + "\"target_new\": \"Rome\", " + loc + "}, {\"subject\": \"Spain\", \"prompt\": \"The capital of Spain is\", "
                + "\"target_new\": \"Paris\", " + loc + "}]");
        Path out = tmp.resolve("mend").resolve("editor.safetensors");
        List<String> args = List.of("train-mend", "--model", model.toString(), "--train", cases.toString(), "--val-fraction", "0.5",
                "--set", "val_interval=2", "--set", "accumulate_bs=2", "--out", out.toString());
        List<String> first = new java.util.ArrayList<>(args);
        first.addAll(List.of("--set", "max_iters=4"));
        CliTestSupport.Run r = run(first.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1 training / 1 validation cases, steps 0 -> 4"), r.out());
        assertTrue(r.out().contains("step 4/4") && r.out().contains("val ES") && r.out().contains("(saved)"), r.out());
        assertTrue(java.nio.file.Files.isRegularFile(out));
        CliTestSupport.Run again = run(first.toArray(String[]::new));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--resume"), again.err());
        List<String> resume = new java.util.ArrayList<>(args);
        resume.addAll(List.of("--set", "max_iters=6", "--resume"));
        CliTestSupport.Run more = run(resume.toArray(String[]::new));
        assertEquals(0, more.code(), more.err());
        assertTrue(more.out().contains("steps 4 -> 6") && more.out().contains("step 6/6"), more.out());
        CliTestSupport.Run bad = run("train-mend", "--model", model.toString(), "--train", cases.toString(), "--set", "nope=1");
        assertTrue(bad.code() != 0 && bad.err().contains("unknown hparam of MEND"), bad.err());
    }
}
