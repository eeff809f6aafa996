package dev.emend.mastery;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import dev.emend.core.grad.DeviceAdam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.BaseWeights;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamilies;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.model.Scalars;
import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.TinyCheckpoints;
import dev.emend.core.tokenizer.BpeTokenizerTrainer;
import dev.emend.core.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny GPT-2 (4 layers, d_model 64, d_ff 256) trained for a few hundred full-batch Adam steps
 * on TinyCheckpoints' capital-city sentences until it recalls them, built once per JVM into a
 * temporary directory. Editing tests need a model that actually knows facts.
 */
public final class TinyFactModel {
    private static Path dir;

    private TinyFactModel() {
    }

    static final String[] FIRST = {"Anna", "Boris", "Clara", "David"};
    static final String[] LAST = {"Berg", "Lund", "Moreau"};
    static final String[] CITIES = {"Paris", "Berlin", "Rome", "Madrid", "Tokyo", "Ottawa", "Cairo", "Lima", "Oslo",
        "Nairobi", "Athens", "Warsaw"};

    /**
     * Where each person was born: persons are first × last name and neither name alone decides
     * the city, so the model must compose the whole (multi-token) subject at its last token,
     * which is where ROME reads and writes.
     */
    public static String birthplace(int first, int last) {
        return CITIES[(first * 5 + last * 7) % CITIES.length];
    }

    public static String person(int first, int last) {
        return FIRST[first] + " " + LAST[last];
    }

    /**
     * Text for the keys' second moment: the training sentences plus shuffled-word sentences over
     * the same vocabulary. ROME needs C to be well conditioned (real C comes from a large, varied
     * corpus); 72 templated sentences alone leave it nearly singular, and u = C⁻¹k* then points
     * into noise directions where k*·u is almost 0, which blows the update up.
     */
    public static List<String> statsCorpus() {
        List<String> words = new ArrayList<>();
        for (String s : corpus()) {
            for (String w : s.replace(".", "").replace(",", "").split(" ")) {
                words.add(w);
            }
        }
        java.util.Random rnd = new java.util.Random(5);
        List<String> out = new ArrayList<>(corpus());
        for (int i = 0; i < 600; i++) {
            StringBuilder b = new StringBuilder();
            int n = 4 + rnd.nextInt(8);
            for (int j = 0; j < n; j++) {
                b.append(j == 0 ? "" : " ").append(words.get(rnd.nextInt(words.size())));
            }
            out.add(b.append('.').toString());
        }
        return out;
    }

    static final String[] JOBS = {"doctor", "teacher", "pilot", "farmer", "lawyer"};
    static final String[] LANGUAGES = {"French", "German", "Spanish", "Japanese"};

    /**
     * Two paraphrases each of three relations per person. Several relations per subject make it
     * cheaper for the model to enrich the subject's own last token with its attributes (and read
     * them from there) than to recompute every (subject, relation) pair at the answer position:
     * the subject-position mechanism ROME edits.
     */
    public static List<String> corpus() {
        List<String> out = new ArrayList<>();
        for (int f = 0; f < FIRST.length; f++) {
            for (int l = 0; l < LAST.length; l++) {
                String p = person(f, l);
                String job = JOBS[(f * 2 + l * 3) % JOBS.length];
                String lang = LANGUAGES[(f + l * 3) % LANGUAGES.length];
                out.add(p + " was born in " + birthplace(f, l) + ".");
                out.add("The birthplace of " + p + " is " + birthplace(f, l) + ".");
                out.add(p + " works as a " + job + ".");
                out.add("By profession, " + p + " is a " + job + ".");
                out.add(p + " speaks " + lang + ".");
                out.add("The mother tongue of " + p + " is " + lang + ".");
            }
        }
        return out;
    }

    /** The checkpoint directory (training on first use). */
    public static synchronized Path directory() {
        load().close();
        return dir;
    }

    /**
     * What {@link #train} does, as text: the cache key is a hash of it and of the corpus, so
     * change it whenever {@code train} changes.
     */
    static final String RECIPE = "gpt2 4 layers, n_embd 64, BPE vocab 600, init seed 7, 800 full-batch Adam steps, lr 3e-3, v1";

    /** Loads (training on first use) the model; callers close what they load. */
    public static synchronized LanguageModel load() {
        if (dir == null) {
            try {
                dir = cachedOrTrained();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Checkpoints.load(dir);
    }

    /**
     * Where the checkpoint of the current {@link #RECIPE} is committed (0.9 MB), so CI does not
     * spend 45 s training it in every clean clone. After changing the recipe or the corpus, the
     * first test run trains the new one into {@code .cache/tiny-facts/<key>}: commit that folder
     * here (and delete the old one); {@code TinyFactModelTest} fails until it is.
     */
    static final String COMMITTED = "mastery-methods/src/test/resources/tiny-facts";

    /**
     * Under Maven (property {@code emend.repo.root}) the committed checkpoint of this recipe is
     * used when there is one; otherwise the trained checkpoint is kept in
     * {@code <repo>/.cache/tiny-facts/<hash of recipe and corpus>}, so mastery-methods' tests train
     * it and bench's tests (and later runs) reuse it; one JVM at a time trains (a file lock), into a
     * scratch directory moved into place whole, so a half-written one is never read. Elsewhere: a
     * temporary directory per JVM.
     */
    private static Path cachedOrTrained() throws IOException {
        String root = System.getProperty("emend.repo.root");
        if (root == null) {
            Path d = Files.createTempDirectory("emend-tiny-facts");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(d.getParent(), d.getFileName().toString())));
            train(d);
            return d;
        }
        Path committed = Path.of(root, COMMITTED, recipeKey());
        if (Files.isRegularFile(committed.resolve("model.safetensors"))) {
            return committed;
        }
        Path parent = Path.of(root, ".cache", "tiny-facts");
        Path cached = parent.resolve(recipeKey());
        if (Files.isDirectory(cached)) {
            return cached;
        }
        Files.createDirectories(parent);
        // Test JVMs run side by side (two forks per module): one trains while the others wait on the
        // lock, then find the finished directory.
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(parent.resolve(".lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             java.nio.channels.FileLock ignored = ch.lock()) {
            if (Files.isDirectory(cached)) {
                return cached;
            }
            Path scratch = Files.createTempDirectory(parent, ".training-");
            try {
                train(scratch);
                Files.move(scratch, cached, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } finally {
                deleteTree(parent, scratch.getFileName().toString());
            }
        }
        return cached;
    }

    static String recipeKey() {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(RECIPE.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (String line : corpus()) {
                sha.update((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return java.util.HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path parent, String prefix) {
        try (var s = Files.list(parent)) {
            for (Path p : s.filter(x -> x.getFileName().toString().startsWith(prefix)).toList()) {
                try (var w = Files.walk(p)) {
                    for (Path f : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        } catch (IOException ignored) {
            // best effort: a temporary directory
        }
    }

    /** β₂ 0.99 (faster moment adaptation for the 800 full-batch steps), no weight decay. */
    private static final DeviceAdam.Settings ADAM = new DeviceAdam.Settings(0.9, 0.99, 1e-8, 0);

    /** Trains the recipe into {@code d} (its tokenizer goes to a sibling {@code d-tok} first). */
    static void trainInto(Path d) throws IOException {
        train(d);
    }

    private static void train(Path d) throws IOException {
        // A word-level-ish vocabulary (every city a token or two), unlike TinyCheckpoints' 300 ids
        // that spell cities out in single letters: ROME's targets should be few tokens, as in real models.
        Path tokDir = d.resolveSibling(d.getFileName() + "-tok");
        Path tok = BpeTokenizerTrainer.withVocabSize(600).minPairFrequency(1).trainAndWrite(corpus(), tokDir);
        int vocab;
        try (TextTokenizer t = TextTokenizer.load(tok)) {
            vocab = t.vocabSize();
        }
        JsonObject cfg = TinyCheckpoints.gpt2Config(vocab);
        cfg.addProperty("n_embd", 64);
        cfg.addProperty("n_layer", 4);
        ModelFamily family = ModelFamilies.forModelType("gpt2");
        ModelConfig config = family.parseConfig(cfg);
        DecoderModel model = family.create(config);
        List<int[]> docs = new ArrayList<>();
        try (TextTokenizer t = TextTokenizer.load(tok)) {
            for (String s : corpus()) {
                int[] ids = t.encode(s);
                int[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
                withEos[ids.length] = t.eosId();
                docs.add(withEos);
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = model.initialise(manager, 7);
            Map<String, NDArray> mom1 = new LinkedHashMap<>();
            Map<String, NDArray> mom2 = new LinkedHashMap<>();
            for (var e : params.entrySet()) {
                e.getValue().setRequiresGradient(true);
                mom1.put(e.getKey(), manager.zeros(e.getValue().getShape()));
                mom2.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            }
            BaseWeights view = new BaseWeights(params);
            int b = docs.size();
            int len = docs.stream().mapToInt(a -> a.length).max().orElseThrow() - 1;
            long[][] ids = new long[b][len];
            int[][] mask = new int[b][len];
            long[] next = new long[b * len];
            float[] weight = new float[b * len];
            int count = 0;
            for (int i = 0; i < b; i++) {
                int[] s = docs.get(i);
                for (int t = 0; t + 1 < s.length; t++) {
                    ids[i][t] = s[t];
                    mask[i][t] = 1;
                    next[i * len + t] = s[t + 1];
                    weight[i * len + t] = 1f;
                    count++;
                }
            }
            float lr = 3e-3f;
            for (int step = 1; step <= 800; step++) {
                try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
                    try (GradientSession g = GradientSession.open()) {
                        ForwardResult r = model.forward(m, view, new ForwardInput(ids, mask), Hooks.NONE, null);
                        NDArray nll = r.logits().logSoftmax(-1).gather(m.create(next, new Shape(b, len, 1)), 2)
                                .reshape(b, len).neg();
                        NDArray loss = Scalars.div(nll.mul(m.create(weight, new Shape(b, len))).sum(), count);
                        g.backward(loss);
                    }
                    for (var e : params.entrySet()) {
                        NDArray grad = e.getValue().getGradient();
                        DeviceAdam.step(e.getValue(), grad, mom1.get(e.getKey()), mom2.get(e.getKey()), step, lr, ADAM);
                        grad.muli(0);
                    }
                }
            }
            for (NDArray p : params.values()) {
                p.setRequiresGradient(false);
            }
            Checkpoints.save(d, family, config, params, tok);
        }
    }
}
