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
import dev.emend.factworld.world.WorldSize;
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
                       LmTrainer.Options training, int contextRepeats, Path initFrom, int generation, String worldSize,
                       LmTrainer.Checkpointing checkpoints, double embeddingInitScale,
                       String slowMlpLayers, double slowMlpLrScale, int mlpWidth) {
        public Spec {
            if (mlpWidth < 0) {
                throw new IllegalArgumentException("MLP width must be positive (or 0 for 4 × hidden), got " + mlpWidth);
            }
            slowMlpLayers = slowMlpLayers == null ? "" : slowMlpLayers.strip();
            layerSet(slowMlpLayers, layers);
            if (!(slowMlpLrScale >= 0 && slowMlpLrScale <= 1)) {
                throw new IllegalArgumentException("slow-MLP learning-rate scale must be in [0, 1], got " + slowMlpLrScale);
            }
            if (contextRepeats < 1) {
                throw new IllegalArgumentException("context repeats must be at least 1, got " + contextRepeats);
            }
            if (generation != 1 && generation != 2) {
                throw new IllegalArgumentException("world generation must be 1 or 2, got " + generation);
            }
            if (!(embeddingInitScale > 0)) {
                throw new IllegalArgumentException("embedding init scale must be positive, got " + embeddingInitScale);
            }
            if (!WORLD_SIZES.containsKey(worldSize)) {
                throw new IllegalArgumentException("unknown world size '" + worldSize + "'; known: " + WORLD_SIZES.keySet());
            }
        }

        public Spec(long seed, int vocabSize, int layers, int hidden, int heads, int contextLength,
                    LmTrainer.Options training, int contextRepeats, Path initFrom) {
            this(seed, vocabSize, layers, hidden, heads, contextLength, training, contextRepeats, initFrom, 1, "default", null, 1.0, "", 1.0, 0);
        }

        public Spec(long seed, int vocabSize, int layers, int hidden, int heads, int contextLength, LmTrainer.Options training) {
            this(seed, vocabSize, layers, hidden, heads, contextLength, training, 1, null);
        }

        /** The MLP's inner width ({@code n_inner}): {@code mlpWidth}, or GPT-2's 4 × hidden when it is 0. */
        public int innerWidth() {
            return mlpWidth == 0 ? 4 * hidden : mlpWidth;
        }

        /** The layers named by {@code slowMlpLayers}. */
        public java.util.SortedSet<Integer> slowMlpLayerSet() {
            return layerSet(slowMlpLayers, layers);
        }

        /** Parses "0-1,5-7" (layers 0, 1, 5, 6, 7); empty = none. */
        static java.util.SortedSet<Integer> layerSet(String list, int layers) {
            java.util.SortedSet<Integer> out = new java.util.TreeSet<>();
            if (list.isEmpty()) {
                return out;
            }
            for (String part : list.split(",", -1)) {
                String[] ends = part.strip().split("-", -1);
                try {
                    int lo = Integer.parseInt(ends[0].strip());
                    int hi = ends.length == 2 ? Integer.parseInt(ends[1].strip()) : lo;
                    if (ends.length > 2 || lo < 0 || hi < lo || hi >= layers) {
                        throw new NumberFormatException();
                    }
                    for (int i = lo; i <= hi; i++) {
                        out.add(i);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("slow-MLP layers '" + list + "': '" + part.strip()
                            + "' is not a layer or range of layers within 0.." + (layers - 1) + " (e.g. 0-1,6-7)");
                }
            }
            return out;
        }

        public static Spec defaults() {
            return new Spec(1L, 2048, 6, 256, 4, 128, LmTrainer.Options.defaults());
        }
    }

    /**
     * World sizes a run may name: {@code default} is generation 1's default world (2,123 facts) or
     * generation 2's ({@link #GENERATION_2_DEFAULT}); {@code small} is {@link WorldSize#SMALL}; {@code pilot} (30 countries, 20 cities, 30 people) is
     * small enough to train an 8-layer pilot in minutes on one core.
     */
    public static final Map<String, WorldSize> WORLD_SIZES = Map.of("default", WorldSize.DEFAULT, "small", WorldSize.SMALL,
            "pilot", new WorldSize(30, 20, 30, 1, 0.2));

    /** Generation 2's default world: every country, 150 cities, 200 people, a fifth of them with an alias. */
    public static final WorldSize GENERATION_2_DEFAULT = new WorldSize(Integer.MAX_VALUE, 150, 200, 1, 0.2);

    /** How often generation 2's tokenizer documents repeat the templates ({@link FactWorld#tokenizerDocuments}). */
    static final int TOKENIZER_TEMPLATE_WEIGHT = 20;

    private FactModelBuilder() {
    }

    /** The world a spec trains on. */
    public static FactWorld world(Spec spec) {
        if (spec.generation() == 1 && spec.worldSize().equals("default")) {
            return FactWorld.build(spec.seed());
        }
        WorldSize size = spec.generation() == 2 && spec.worldSize().equals("default")
                ? GENERATION_2_DEFAULT : WORLD_SIZES.get(spec.worldSize());
        return FactWorld.build(spec.seed(), size, spec.generation());
    }

    public static FactsCheck.Report build(Spec spec, Path out, Consumer<String> log) throws IOException {
        return build(spec, out, log, null);
    }

    /**
     * Continues the run whose training checkpoint is in {@code checkpointDir} (written by a run with
     * {@link Spec#checkpoints()}): the spec and tokenizer saved there, the weights, optimiser state and
     * data order of its last state. Returns null when the run stops early again
     * ({@link LmTrainer.Checkpointing#stopAfterSteps}).
     */
    public static FactsCheck.Report resume(Path checkpointDir, Path out, int stopAfterSteps, Consumer<String> log)
            throws IOException {
        Path specFile = checkpointDir.resolve("spec.json");
        if (!Files.isRegularFile(specFile)) {
            throw new IllegalArgumentException(checkpointDir + ": no spec.json (not a directory a checkpointed train-facts run wrote)");
        }
        Spec saved = specFromJson(com.google.gson.JsonParser.parseString(Files.readString(specFile)).getAsJsonObject());
        LmTrainer.Checkpointing ck = saved.checkpoints();
        Spec spec = new Spec(saved.seed(), saved.vocabSize(), saved.layers(), saved.hidden(), saved.heads(),
                saved.contextLength(), saved.training(), saved.contextRepeats(), saved.initFrom(), saved.generation(), saved.worldSize(),
                new LmTrainer.Checkpointing(checkpointDir, ck.everySteps(), ck.everyMinutes(), stopAfterSteps),
                saved.embeddingInitScale(), saved.slowMlpLayers(), saved.slowMlpLrScale(), saved.mlpWidth());
        TrainingCheckpoint state = TrainingCheckpoint.read(checkpointDir);
        log.accept("resuming " + checkpointDir + " at step " + state.step() + " (epoch " + state.epoch() + ", "
                + state.batchesDone() + " batches done)");
        return build(spec, out, log, state);
    }

    private static FactsCheck.Report build(Spec spec, Path out, Consumer<String> log, TrainingCheckpoint resume)
            throws IOException {
        long started = System.nanoTime();
        FactWorld world = world(spec);
        TrainingCorpus corpus = world.trainingCorpus(spec.seed());
        log.accept(String.format(Locale.ROOT, "world: %d facts, %d relations; corpus: %d documents (%d fact sentences, %s%d in-context, %d irrelevant-context)",
                world.facts().size(), world.relations().size(), corpus.documents().size(), corpus.factSentences(),
                corpus.biographies() + corpus.profiles() == 0 ? ""
                        : corpus.biographies() + " biographies, " + corpus.profiles() + " profiles, ",
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
        } else if (resume != null) {
            tokFile = out.resolve("tokenizer.json");
            Files.copy(spec.checkpoints().dir().resolve("tokenizer.json"), tokFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else if (spec.generation() >= 2) {
            // Fitted to the templates and each name once, so that subjects split into pieces.
            tokFile = BpeTokenizerTrainer.withVocabSize(spec.vocabSize())
                    .trainAndWrite(world.tokenizerDocuments(TOKENIZER_TEMPLATE_WEIGHT), out);
        } else {
            tokFile = BpeTokenizerTrainer.withVocabSize(spec.vocabSize()).trainAndWrite(corpus.documents(), out);
        }
        if (spec.checkpoints() != null && resume == null) {
            Path ck = spec.checkpoints().dir();
            Files.createDirectories(ck);
            Files.copy(tokFile, ck.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(ck.resolve("spec.json"), new GsonBuilder().setPrettyPrinting().create().toJson(specJson(spec)) + "\n");
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
        if (spec.generation() >= 2) {
            long multi = world.subjects().stream().filter(sub -> tok.encode(" " + sub).length > 1).count();
            log.accept(String.format(Locale.ROOT, "multi-token subjects: %d of %d (%.1f %%)", multi, world.subjects().size(),
                    100.0 * multi / world.subjects().size()));
        }
        JsonObject cfgJson = new JsonObject();
        cfgJson.addProperty("model_type", "gpt2");
        cfgJson.addProperty("vocab_size", vocab);
        cfgJson.addProperty("n_layer", spec.layers());
        cfgJson.addProperty("n_head", spec.heads());
        cfgJson.addProperty("n_embd", spec.hidden());
        cfgJson.addProperty("n_inner", spec.innerWidth());
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
            if (init == null && spec.embeddingInitScale() != 1.0) {
                // A pilot knob (MODEL_CARD.md, "Second generation"): token and position embeddings
                // initialised larger than GPT-2's N(0, 0.02), so the first block's writes do not
                // swamp the tokens' identity in the residual stream.
                for (String name : List.of("transformer.wte.weight", "transformer.wpe.weight")) {
                    NDArray e = params.get(name);
                    if (e == null) {
                        throw new IllegalStateException("no parameter " + name + " to scale in " + params.keySet());
                    }
                    e.muli((float) spec.embeddingInitScale());
                }
            }
            long n = params.values().stream().mapToLong(a -> a.getShape().size()).sum();
            log.accept(String.format(Locale.ROOT, "model: GPT-2, %d layers, d_model %d, %d heads, context %d, %,d parameters",
                    spec.layers(), spec.hidden(), spec.heads(), spec.contextLength(), n));
            // Fact sentences are the same every epoch; the in-context and irrelevant-context
            // examples are drawn afresh (another counterfactual object, another distractor) so
            // the model learns to read the context instead of memorising the examples.
            IntFunction<List<int[]>> data = epoch -> epoch == 1 ? first : encode(tok, epochDocuments(world, corpus, spec, epoch));
            LmTrainer trainer = new LmTrainer(model, params, manager, spec.training());
            if (!spec.slowMlpLayerSet().isEmpty()) {
                // A recipe knob (MODEL_CARD.md, "Second generation"): the MLPs of the named blocks
                // learn at a fraction of the learning rate (0 = frozen at their initialisation),
                // standing in for the work that occupies a real LM's first layers (assembling
                // words from pieces) and last ones (predicting the next token's form), so that
                // the lookups of facts are written in the middle.
                Map<String, Double> scales = new java.util.HashMap<>();
                for (int layer : spec.slowMlpLayerSet()) {
                    String prefix = "transformer.h." + layer + ".mlp.";
                    params.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(k -> scales.put(k, spec.slowMlpLrScale()));
                }
                if (scales.isEmpty()) {
                    throw new IllegalStateException("no MLP parameters under transformer.h.<i>.mlp. in " + params.keySet());
                }
                trainer.scaleLearningRates(scales);
            }
            boolean finished = trainer.train(data, p -> log.accept(String.format(Locale.ROOT,
                    "%sepoch %d/%d step %d/%d loss %.4f lr %.2e %.0f tok/s eta %s",
                    p.epochEnd() ? "== " : "", p.epoch(), spec.training().epochs(), p.step(), p.totalSteps(), p.loss(),
                    p.learningRate(), p.tokensPerSecond(), eta(p.etaSeconds()))), spec.checkpoints(), resume);
            if (!finished) {
                log.accept("stopped at step " + spec.checkpoints().stopAfterSteps() + "; training state in "
                        + spec.checkpoints().dir() + " (continue with --resume " + spec.checkpoints().dir() + ")");
                return null;
            }
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
        JsonObject specJson = specJson(spec);
        r.add("spec", specJson);
        r.addProperty("training_tokens_per_epoch", tokens);
        r.addProperty("training_minutes", trainMinutes);
        r.addProperty("fact_recall", report.recall());
        r.addProperty("in_context_update", report.inContext());
        r.addProperty("context_robustness", report.robustness());
        r.addProperty("fact_recall_exact", report.recallExact());
        r.addProperty("in_context_update_exact", report.inContextExact());
        r.addProperty("context_robustness_exact", report.robustnessExact());
        if (report.heldOutItems() > 0) {
            r.addProperty("held_out_paraphrase_recall", report.heldOut());
            r.addProperty("held_out_paraphrase_recall_exact", report.heldOutExact());
        }
        Files.writeString(out.resolve("training-report.json"), new GsonBuilder().setPrettyPrinting().create().toJson(r) + "\n");
        return report;
    }

    static JsonObject specJson(Spec spec) {
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
        if (spec.generation() != 1 || !spec.worldSize().equals("default") || spec.checkpoints() != null) {
            specJson.addProperty("generation", spec.generation());
            specJson.addProperty("world_size", spec.worldSize());
        }
        if (spec.embeddingInitScale() != 1.0) {
            specJson.addProperty("embedding_init_scale", spec.embeddingInitScale());
        }
        if (spec.mlpWidth() != 0) {
            specJson.addProperty("mlp_width", spec.mlpWidth());
        }
        if (!spec.slowMlpLayers().isEmpty()) {
            specJson.addProperty("slow_mlp_layers", spec.slowMlpLayers());
            specJson.addProperty("slow_mlp_lr_scale", spec.slowMlpLrScale());
        }
        if (spec.checkpoints() != null) {
            specJson.addProperty("checkpoint_every_steps", spec.checkpoints().everySteps());
            specJson.addProperty("checkpoint_every_minutes", spec.checkpoints().everyMinutes());
        }
        return specJson;
    }

    static Spec specFromJson(JsonObject o) {
        LmTrainer.Options t = new com.google.gson.Gson().fromJson(o.get("training"), LmTrainer.Options.class);
        LmTrainer.Checkpointing ck = o.has("checkpoint_every_steps")
                ? new LmTrainer.Checkpointing(Path.of("."), o.get("checkpoint_every_steps").getAsInt(),
                        o.get("checkpoint_every_minutes").getAsDouble(), 0) : null;
        return new Spec(o.get("seed").getAsLong(), o.get("vocab_size").getAsInt(), o.get("layers").getAsInt(),
                o.get("hidden").getAsInt(), o.get("heads").getAsInt(), o.get("context_length").getAsInt(), t,
                o.get("context_repeats").getAsInt(),
                o.has("init_from") && !o.get("init_from").isJsonNull() ? Path.of(o.get("init_from").getAsString()) : null,
                o.has("generation") ? o.get("generation").getAsInt() : 1,
                o.has("world_size") ? o.get("world_size").getAsString() : "default", ck,
                o.has("embedding_init_scale") ? o.get("embedding_init_scale").getAsDouble() : 1.0,
                o.has("slow_mlp_layers") ? o.get("slow_mlp_layers").getAsString() : "",
                o.has("slow_mlp_lr_scale") ? o.get("slow_mlp_lr_scale").getAsDouble() : 1.0,
                o.has("mlp_width") ? o.get("mlp_width").getAsInt() : 0);
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
