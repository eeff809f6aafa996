package dev.emend.factworld.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.tokenizer.BpeTokenizerTrainer;
import dev.emend.core.tokenizer.TextTokenizer;
import dev.emend.factworld.check.FactsCheck;
import dev.emend.factworld.world.FactWorld;
import dev.emend.factworld.world.TrainingCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Builds the default model end to end: the fact world, its training corpus, a byte-level BPE
 * tokenizer fitted to it, a GPT-2 of the given size trained from scratch, the checkpoint in
 * Hugging Face format, the world's {@code facts.json}, and the quality report measured by
 * reloading the saved checkpoint through the ordinary loader.
 */
public final class FactModelBuilder {
    /** Everything that decides the model; recorded in the report. */
    public record Spec(long seed, int vocabSize, int layers, int hidden, int heads, int contextLength,
                       LmTrainer.Options training, int contextRepeats, Path initFrom) {
        public Spec {
            if (contextRepeats < 1) {
                throw new IllegalArgumentException("context repeats must be at least 1, got " + contextRepeats);
            }
        }

        public Spec(long seed, int vocabSize, int layers, int hidden, int heads, int contextLength, LmTrainer.Options training) {
            this(seed, vocabSize, layers, hidden, heads, contextLength, training, 1, null);
        }

        public static Spec defaults() {
            return new Spec(1L, 2048, 6, 256, 4, 128, LmTrainer.Options.defaults());
        }
    }

    private FactModelBuilder() {
    }

    public static FactsCheck.Report build(Spec spec, Path out, Consumer<String> log) throws IOException {
        long started = System.nanoTime();
        FactWorld world = FactWorld.build(spec.seed());
        TrainingCorpus corpus = world.trainingCorpus(spec.seed());
        log.accept(String.format(Locale.ROOT, "world: %d facts, %d relations; corpus: %d documents (%d fact sentences, %d in-context, %d irrelevant-context)",
                world.facts().size(), world.relations().size(), corpus.documents().size(), corpus.factSentences(),
                corpus.inContextExamples(), corpus.irrelevantContextExamples()));
        Files.createDirectories(out);
        Path tokFile;
        if (spec.initFrom() != null) {
            // Continue training: the checkpoint's own tokenizer and weights, the same world.
            tokFile = spec.initFrom().resolve("tokenizer.json");
            if (!spec.initFrom().toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                Files.copy(tokFile, out.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                tokFile = out.resolve("tokenizer.json");
            }
        } else {
            tokFile = BpeTokenizerTrainer.withVocabSize(spec.vocabSize()).trainAndWrite(corpus.documents(), out);
        }
        int eos;
        int vocab;
        long tokens;
        TextTokenizer tok = TextTokenizer.load(tokFile);
        eos = tok.eosId();
        vocab = tok.vocabSize();
        List<int[]> first = encode(tok, epochDocuments(world, corpus, spec, 1));
        tokens = first.stream().mapToLong(a -> a.length).sum();
        log.accept(String.format(Locale.ROOT, "tokenizer: %d ids (eos %d); %d training tokens per epoch", vocab, eos, tokens));
        JsonObject cfgJson = new JsonObject();
        cfgJson.addProperty("model_type", "gpt2");
        cfgJson.addProperty("vocab_size", vocab);
        cfgJson.addProperty("n_layer", spec.layers());
        cfgJson.addProperty("n_head", spec.heads());
        cfgJson.addProperty("n_embd", spec.hidden());
        cfgJson.addProperty("n_inner", 4 * spec.hidden());
        cfgJson.addProperty("n_positions", spec.contextLength());
        cfgJson.addProperty("bos_token_id", eos);
        cfgJson.addProperty("eos_token_id", eos);
        ModelFamily family = ModelFamilies.forModelType("gpt2");
        ModelConfig config = family.parseConfig(cfgJson);
        LanguageModel init = spec.initFrom() == null ? null : Checkpoints.load(spec.initFrom());
        if (init != null) {
            config = init.config();
            family = init.family();
            log.accept("continuing from " + spec.initFrom() + " (" + init.fingerprint() + ")");
        }
        DecoderModel model = family.create(config);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = init != null ? init.weights().asMap() : model.initialise(manager, spec.seed());
            long n = params.values().stream().mapToLong(a -> a.getShape().size()).sum();
            log.accept(String.format(Locale.ROOT, "model: GPT-2, %d layers, d_model %d, %d heads, context %d, %,d parameters",
                    spec.layers(), spec.hidden(), spec.heads(), spec.contextLength(), n));
            // Fact sentences are the same every epoch; the in-context and irrelevant-context
            // examples are drawn afresh (another counterfactual object, another distractor) so
            // the model learns to read the context instead of memorising the examples.
            IntFunction<List<int[]>> data = epoch -> epoch == 1 ? first : encode(tok, epochDocuments(world, corpus, spec, epoch));
            new LmTrainer(model, params, manager, spec.training()).train(data, p -> log.accept(String.format(Locale.ROOT,
                    "%sepoch %d/%d step %d/%d loss %.4f lr %.2e %.0f tok/s eta %s",
                    p.epochEnd() ? "== " : "", p.epoch(), spec.training().epochs(), p.step(), p.totalSteps(), p.loss(),
                    p.learningRate(), p.tokensPerSecond(), eta(p.etaSeconds()))));
            Checkpoints.save(out, family, config, params, tokFile);
        } finally {
            tok.close();
            if (init != null) {
                init.close();
            }
        }
        world.writeFactsJson(out.resolve("facts.json"));
        double trainMinutes = (System.nanoTime() - started) / 60e9;
        log.accept(String.format(Locale.ROOT, "saved %s (%.1f min); measuring quality on the reloaded checkpoint", out, trainMinutes));
        FactsCheck.Report report;
        try (LanguageModel lm = Checkpoints.load(out)) {
            report = FactsCheck.run(lm, world.evalSets(spec.seed()), 0, s -> { });
        }
        log.accept(report.lines());
        JsonObject r = new JsonObject();
        JsonObject specJson = new JsonObject();
        specJson.addProperty("seed", spec.seed());
        specJson.addProperty("vocab_size", spec.vocabSize());
        specJson.addProperty("layers", spec.layers());
        specJson.addProperty("hidden", spec.hidden());
        specJson.addProperty("heads", spec.heads());
        specJson.addProperty("context_length", spec.contextLength());
        specJson.add("training", new GsonBuilder().create().toJsonTree(spec.training()));
        specJson.addProperty("context_repeats", spec.contextRepeats());
        specJson.addProperty("init_from", spec.initFrom() == null ? null : spec.initFrom().toString());
        r.add("spec", specJson);
        r.addProperty("training_tokens_per_epoch", tokens);
        r.addProperty("training_minutes", trainMinutes);
        r.addProperty("fact_recall", report.recall());
        r.addProperty("in_context_update", report.inContext());
        r.addProperty("context_robustness", report.robustness());
        r.addProperty("fact_recall_exact", report.recallExact());
        r.addProperty("in_context_update_exact", report.inContextExact());
        r.addProperty("context_robustness_exact", report.robustnessExact());
        Files.writeString(out.resolve("training-report.json"), new GsonBuilder().setPrettyPrinting().create().toJson(r) + "\n");
        return report;
    }

    /**
     * One epoch's documents: every fact sentence once, plus {@code contextRepeats} fresh sets of
     * in-context and irrelevant-context examples (drawn with epoch-specific seeds; epoch 1 of a
     * from-scratch run uses the corpus of the world seed itself).
     */
    static List<String> epochDocuments(FactWorld world, TrainingCorpus base, Spec spec, int epoch) {
        if (epoch == 1 && spec.contextRepeats() == 1 && spec.initFrom() == null) {
            return base.documents();
        }
        List<String> docs = new ArrayList<>(base.documents().subList(0, base.fixedDocuments()));
        for (int r = 0; r < spec.contextRepeats(); r++) {
            long seed = spec.initFrom() == null && r == 0 ? spec.seed() * 1000 + epoch : spec.seed() * 100_000 + epoch * 100L + r;
            List<String> all = world.trainingCorpus(seed).documents();
            docs.addAll(all.subList(base.fixedDocuments(), all.size()));
        }
        return docs;
    }

    private static List<int[]> encode(TextTokenizer tok, List<String> documents) {
        List<int[]> out = new ArrayList<>(documents.size());
        for (String doc : documents) {
            int[] ids = tok.encode(doc);
            int[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
            withEos[ids.length] = tok.eosId();
            out.add(withEos);
        }
        return out;
    }

    private static String eta(double s) {
        return String.format(Locale.ROOT, "%dm%02ds", (long) s / 60, (long) s % 60);
    }
}
