package dev.emend.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
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

/** Shared by the CLI tests: a tiny random GPT-2 checkpoint with a facts.json, and an in-process run. */
final class CliTestSupport {
    record Run(int code, String out, String err) {}

    private CliTestSupport() {
    }

    /** Writes a random GPT-2 (d 16, 2 heads) with a BPE tokenizer trained on {@code docs} into {@code dir}. */
    static Path tinyCheckpoint(Path dir, List<String> docs, int layers) throws Exception {
        Path tokFile = BpeTokenizerTrainer.withVocabSize(300).trainAndWrite(docs, dir);
        int vocab;
        int eos;
        try (TextTokenizer tok = TextTokenizer.load(tokFile)) {
            vocab = tok.vocabSize();
            eos = tok.eosId();
        }
        JsonObject cfg = new JsonObject();
        cfg.addProperty("model_type", "gpt2");
        cfg.addProperty("vocab_size", vocab);
        cfg.addProperty("n_layer", layers);
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
            Checkpoints.save(dir, family, config, params, tokFile);
        }
        FactWorld.build(1L).writeFactsJson(dir.resolve("facts.json"));
        return dir;
    }

    /** Runs {@code ./emend args} in-process, capturing its out and err streams. */
    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = EmendCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }
}
