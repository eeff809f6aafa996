package dev.emend.factworld.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.factworld.world.Fact;
import dev.emend.factworld.world.FactWorld;
import dev.emend.factworld.world.PersonNames;
import dev.emend.factworld.world.Relation;
import dev.emend.factworld.world.Relations;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Editing benchmarks over a {@link FactWorld}, in the KnowEdit JSON formats: WikiData_counterfact
 * ({@code counterfact.json}), WikiData_recent ({@code recent.json}, facts about people the model never
 * saw) and ZsRE ({@code zsre.json}), each with a training split over disjoint subjects. Deterministic
 * in the world and the seed.
 *
 * <p>On a generation-2 world (issue 19) the rephrase prompts and the portability prompts (aliases,
 * reasoning hops through a trained relation) are worded with the relations' <em>held-out</em>
 * templates, which the model never saw in training, so Generalization and Portability measure
 * paraphrase robustness rather than template recall; edit, locality and health prompts keep the
 * trained templates. Generation 1 states every fact in every template and has no held-out wording.
 */
public final class BenchmarkGenerator {

    /** Default number of test cases per benchmark. */
    public static final int TEST_CASES = 300;
    /** Default number of training cases per benchmark. */
    public static final int TRAIN_CASES = 120;
    /** Cases of the sequential-editing set ({@code sequential.json}). */
    public static final int SEQUENTIAL_CASES = 1000;

    private static final double TRAIN_SUBJECT_SHARE = 0.25;

    private final FactWorld world;
    private final long seed;
    private final List<String> trainSubjects;
    private final List<String> testSubjects;
    private final boolean heldOutWording;

    public BenchmarkGenerator(FactWorld world, long seed) {
        this.world = world;
        this.seed = seed;
        this.heldOutWording = world.generation() >= 2;
        var editable = new ArrayList<String>();
        for (String s : world.subjects()) {
            if (world.canonical(s).equals(s) && !editableRelations(s).isEmpty()) {
                editable.add(s);
            }
        }
        Collections.shuffle(editable, new Random(seed ^ 0xB3_0001L));
        int train = (int) Math.round(editable.size() * TRAIN_SUBJECT_SHARE);
        this.trainSubjects = List.copyOf(editable.subList(0, train));
        this.testSubjects = List.copyOf(editable.subList(train, editable.size()));
    }

    /** Writes every benchmark file into {@code dir} and returns file name to case count. */
    public Map<String, Integer> writeAll(Path dir) {
        var files = new LinkedHashMap<String, JsonArray>();
        files.put("counterfact.json", counterfact(TEST_CASES, false));
        files.put("counterfact-train.json", counterfact(TRAIN_CASES, true));
        files.put("recent.json", recent(TEST_CASES, false));
        files.put("recent-train.json", recent(TRAIN_CASES, true));
        files.put("zsre.json", zsre(TEST_CASES, false));
        files.put("zsre-train.json", zsre(TRAIN_CASES, true));
        files.put("sequential.json", sequential(SEQUENTIAL_CASES));
        var counts = new LinkedHashMap<String, Integer>();
        try {
            Files.createDirectories(dir);
            for (var e : files.entrySet()) {
                Files.writeString(dir.resolve(e.getKey()), FactWorld.gson().toJson(e.getValue()) + "\n",
                        StandardCharsets.UTF_8);
                counts.put(e.getKey(), e.getValue().size());
            }
            JsonObject health = health(HEALTH_TEXTS, HEALTH_FACTS, HEALTH_PROMPTS);
            Files.writeString(dir.resolve("health.json"), FactWorld.gson().toJson(health) + "\n", StandardCharsets.UTF_8);
            counts.put("health.json", health.getAsJsonArray("texts").size() + health.getAsJsonArray("facts").size()
                    + health.getAsJsonArray("fluency_prompts").size());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write benchmarks to " + dir, e);
        }
        return counts;
    }

    static final int HEALTH_TEXTS = 200;
    static final int HEALTH_FACTS = 300;
    static final int HEALTH_PROMPTS = 20;

    /**
     * The general-health set of {@code ./emend bench --health} (evaluation.proto's HealthSet):
     * {@code texts} statements "prompt object." for perplexity, {@code facts} (prompt, ground
     * truth) pairs for recall, {@code prompts} statement prompts for fluency, drawn from distinct
     * facts of every relation in turn (seeded). The run leaves out the facts whose prompt names
     * an edited subject. All of it is in the default model's training distribution: this world
     * states every fact in every template, so it has no held-out text (issue 19 adds held-out
     * paraphrases).
     */
    public JsonObject health(int texts, int facts, int prompts) {
        List<Fact> pool = new ArrayList<>();
        for (Fact f : world.facts()) {
            if (world.canonical(f.subject()).equals(f.subject())) {
                pool.add(f);
            }
        }
        Collections.shuffle(pool, new Random(seed ^ 0xB3_0077L));
        if (pool.size() < texts + facts + prompts) {
            throw new IllegalStateException("the world has " + pool.size() + " facts; the health set needs " + (texts + facts + prompts));
        }
        Random rnd = new Random(seed ^ 0xB3_0078L);
        JsonObject out = new JsonObject();
        out.addProperty("name", heldOutWording
                ? "emend-facts-2/health.json (in-distribution: trained templates of the generation-2 world)"
                : "emend-facts/health.json (in-distribution: the default model saw every template of every fact)");
        JsonArray textArray = new JsonArray();
        JsonArray factArray = new JsonArray();
        JsonArray promptArray = new JsonArray();
        for (int i = 0; i < texts + facts + prompts; i++) {
            Fact f = pool.get(i);
            Relation r = world.relation(f.relationId());
            String prompt = Relation.fill(r.templates().get(rnd.nextInt(r.templates().size())), f.subject());
            if (i < texts) {
                textArray.add(prompt + " " + f.object() + ".");
            } else if (i < texts + facts) {
                JsonObject p = new JsonObject();
                p.addProperty("prompt", prompt);
                JsonArray truth = new JsonArray();
                truth.add(f.object());
                p.add("ground_truth", truth);
                factArray.add(p);
            } else {
                promptArray.add(prompt);
            }
        }
        out.add("texts", textArray);
        out.add("facts", factArray);
        out.add("fluency_prompts", promptArray);
        return out;
    }

    /** Subjects whose facts the training splits edit; the test splits never edit them. */
    public List<String> trainSubjects() {
        return trainSubjects;
    }

    /** WikiData_counterfact: declarative prompts, string ground truths. */
    public JsonArray counterfact(int count, boolean train) {
        return counterfact(count, train, new Random(seed ^ (train ? 0xCF_0002L : 0xCF_0001L)));
    }

    /**
     * The sequential-editing set: {@code count} counterfact cases over the test subjects, every
     * (subject, relation) pair at most once, so no edit of the sequence overwrites an earlier one.
     * Concatenating the test splits does not give that: counterfact and zsre edit the same
     * subjects, often the same relation with another target (a zsre question then rewrites the
     * counterfact edit made before it, and that earlier case is scored against a stale target).
     * One edit per subject first, then further relations of the same subjects ({@link #edits}).
     * The locality prompts ask only about facts that no case of the set edits: in a world this
     * small a thousand edits change a third of the test subjects' facts, and a locality prompt
     * about a fact another case rewrote would count that legitimate change as a locality failure
     * once both edits are applied.
     */
    public JsonArray sequential(int count) {
        return counterfact(count, false, new Random(seed ^ 0x5E_0001L), true);
    }

    private JsonArray counterfact(int count, boolean train, Random rnd) {
        return counterfact(count, train, rnd, false);
    }

    private JsonArray counterfact(int count, boolean train, Random rnd, boolean localityAvoidsEdited) {
        var out = new JsonArray();
        List<Edit> edits = edits(count, train, rnd, false);
        Set<String> edited = new HashSet<>();
        if (localityAvoidsEdited) {
            for (Edit e : edits) {
                edited.add(factKey(e.subject, e.relation));
                if (e.relation.equals(Relations.BIRTH_CITY)) {
                    edited.add(factKey(e.subject, Relations.BIRTH_COUNTRY)); // follows from the new city
                }
            }
        }
        for (Edit e : edits) {
            Relation rel = world.relation(e.relation);
            var c = new JsonObject();
            c.addProperty("subject", e.subject);
            c.addProperty("prompt", Relation.fill(rel.templates().get(e.promptIndex), e.subject));
            c.addProperty("target_new", e.targetNew);
            c.addProperty("ground_truth", e.groundTruth);
            c.addProperty("rephrase_prompt", rephrase(rel, e, rnd));
            var portability = new JsonObject();
            addItems(portability, "Subject_Aliasing", aliasing(e, rnd, false), false);
            addItems(portability, "Reasoning", reasoning(e, rnd, false), false);
            addItems(portability, "Logical_Generalization", logical(e, rnd, false), false);
            c.add("portability", portability);
            var locality = new JsonObject();
            addItems(locality, "Relation_Specificity", specificity(e.subject, e.relation, rnd, false, edited), false);
            c.add("locality", locality);
            out.add(c);
        }
        return out;
    }

    /**
     * WikiData_recent: facts about new people, named by unused combinations of the known name parts.
     * There is no ground truth (the model knew nothing); portability and locality ground truths are
     * lists of alias lists.
     */
    public JsonArray recent(int count, boolean train) {
        Random rnd = new Random(seed ^ (train ? 0xEC_0002L : 0xEC_0001L));
        var names = new ArrayList<String>();
        if (heldOutWording) {
            // Three-part names, as the generation-2 world's people have.
            for (String name : FactWorld.generation2NameSpace()) {
                if (!world.subjects().contains(name)) {
                    names.add(name);
                }
            }
        } else {
            for (String first : PersonNames.FIRST) {
                for (String last : PersonNames.LAST) {
                    String name = first + " " + last;
                    if (!world.subjects().contains(name)) {
                        names.add(name);
                    }
                }
            }
        }
        Collections.shuffle(names, new Random(seed ^ 0xEC_0000L));
        // Test names from the front, training names from the back: never the same person.
        var out = new JsonArray();
        List<String> people = people();
        if (people.isEmpty()) {
            return out;
        }
        String[] relations = {Relations.BIRTH_CITY, Relations.BIRTH_CITY, Relations.OCCUPATION, Relations.EMPLOYER};
        for (int i = 0; i < count && i < names.size() / 2; i++) {
            String subject = train ? names.get(names.size() - 1 - i) : names.get(i);
            String relation = relations[rnd.nextInt(relations.length)];
            Relation rel = world.relation(relation);
            List<String> objects = world.objectsOf(relation);
            var e = new Edit(subject, relation, null, objects.get(rnd.nextInt(objects.size())),
                    rnd.nextInt(rel.templates().size()), 0);
            e.rephraseIndex = otherIndex(e.promptIndex, rel.templates().size(), rnd);
            var c = new JsonObject();
            c.addProperty("subject", subject);
            c.addProperty("prompt", Relation.fill(rel.templates().get(e.promptIndex), subject));
            c.addProperty("target_new", e.targetNew);
            c.addProperty("rephrase_prompt", rephrase(rel, e, rnd));
            var portability = new JsonObject();
            addItems(portability, "Reasoning", reasoning(e, rnd, false), true);
            c.add("portability", portability);
            // Locality: what the model knows about an existing person, same relation and another one.
            String known = people.get(rnd.nextInt(people.size()));
            var items = new ArrayList<Item>();
            items.add(item(known, relation, rnd, false));
            String other = relation.equals(Relations.EMPLOYER) ? Relations.OCCUPATION : Relations.EMPLOYER;
            items.add(item(known, other, rnd, false));
            var locality = new JsonObject();
            addItems(locality, "Relation_Specificity", items, true);
            c.add("locality", locality);
            out.add(c);
        }
        return out;
    }

    /** ZsRE: question prompts, ground truth as a list, {@code cond} as {@code "old >> new || prompt"}. */
    public JsonArray zsre(int count, boolean train) {
        Random rnd = new Random(seed ^ (train ? 0x25_0002L : 0x25_0001L));
        var out = new JsonArray();
        for (Edit e : edits(count, train, rnd, true)) {
            Relation rel = world.relation(e.relation);
            List<String> questions = rel.questionTemplates();
            int q = rnd.nextInt(questions.size());
            String prompt = Relation.fill(questions.get(q), e.subject);
            String rephrase;
            if (heldOutWording) {
                List<String> held = rnd.nextBoolean() ? rel.heldOutQuestionTemplates() : rel.heldOutTemplates();
                rephrase = Relation.fill(pick(held, rnd), e.subject);
            } else {
                rephrase = questions.size() > 1 && rnd.nextBoolean()
                        ? Relation.fill(questions.get(otherIndex(q, questions.size(), rnd)), e.subject)
                        : Relation.fill(rel.templates().get(rnd.nextInt(rel.templates().size())), e.subject);
            }
            var c = new JsonObject();
            c.addProperty("subject", e.subject);
            c.addProperty("target_new", e.targetNew);
            c.addProperty("prompt", prompt);
            var truth = new JsonArray();
            truth.add(e.groundTruth);
            c.add("ground_truth", truth);
            c.addProperty("rephrase_prompt", rephrase);
            c.addProperty("cond", e.groundTruth + " >> " + e.targetNew + " || " + prompt);
            var locality = new JsonObject();
            var loc = new JsonArray();
            for (Item it : specificity(e.subject, e.relation, rnd, false)) {
                var o = new JsonObject();
                o.addProperty("prompt", it.prompt);
                var gt = new JsonArray();
                gt.add(it.truth);
                o.add("ground_truth", gt);
                loc.add(o);
            }
            locality.add("Relation_Specificity", loc);
            c.add("locality", locality);
            var portability = new JsonObject();
            addItems(portability, "Reasoning", reasoning(e, rnd, true), false);
            c.add("portability", portability);
            out.add(c);
        }
        return out;
    }

    /** Prints the world's size and writes the benchmarks: {@code BenchmarkGenerator <dir> [seed]}. */
    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: BenchmarkGenerator <output-dir> [seed (default 1)]");
            System.exit(2);
        }
        long seed = args.length == 2 ? Long.parseLong(args[1]) : 1L;
        FactWorld world = FactWorld.build(seed);
        Path dir = Path.of(args[0]);
        world.writeFactsJson(dir.resolve("facts.json"));
        var perRelation = new LinkedHashMap<String, Integer>();
        world.facts().forEach(f -> perRelation.merge(f.relationId(), 1, Integer::sum));
        System.out.println("facts: " + world.facts().size() + " " + perRelation);
        var corpus = world.trainingCorpus(seed);
        System.out.println("training documents: " + corpus.documents().size() + " (sentences "
                + corpus.factSentences() + ", in-context " + corpus.inContextExamples() + ", irrelevant-context "
                + corpus.irrelevantContextExamples() + ")");
        new BenchmarkGenerator(world, seed).writeAll(dir)
                .forEach((file, n) -> System.out.println(dir.resolve(file) + ": " + n + " cases"));
    }

    // ---------------------------------------------------------------------------------------------

    private static final class Edit {
        final String subject;
        final String relation;
        final String groundTruth;
        final String targetNew;
        final int promptIndex;
        int rephraseIndex;

        Edit(String subject, String relation, String groundTruth, String targetNew, int promptIndex, int rephraseIndex) {
            this.subject = subject;
            this.relation = relation;
            this.groundTruth = groundTruth;
            this.targetNew = targetNew;
            this.promptIndex = promptIndex;
            this.rephraseIndex = rephraseIndex;
        }
    }

    private record Item(String prompt, String truth, List<String> truthAliases) {
    }

    private List<String> editableRelations(String subject) {
        var out = new ArrayList<String>();
        for (String r : world.relationsOf(subject)) {
            if (Relations.EDITABLE.contains(r)) {
                out.add(r);
            }
        }
        return out;
    }

    private List<String> people() {
        var out = new ArrayList<String>();
        for (String s : world.subjects()) {
            if (world.canonical(s).equals(s) && world.objectOf(s, Relations.BIRTH_CITY) != null) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * One edit per subject of the split, then further relations of the same subjects if more cases
     * are wanted. People's birth cities are preferred when {@code preferReasoning}, since those edits
     * have multi-hop consequences.
     */
    private List<Edit> edits(int count, boolean train, Random rnd, boolean preferReasoning) {
        List<String> subjects = train ? trainSubjects : testSubjects;
        var used = new HashSet<String>();
        var out = new ArrayList<Edit>();
        for (int round = 0; out.size() < count; round++) {
            int before = out.size();
            for (String s : subjects) {
                if (out.size() >= count) {
                    break;
                }
                var options = new ArrayList<String>(editableRelations(s));
                options.removeIf(r -> used.contains(s + "\u0000" + r));
                if (options.isEmpty()) {
                    continue;
                }
                String r;
                if (round == 0 && options.contains(Relations.BIRTH_CITY) && rnd.nextDouble() < (preferReasoning ? 0.7 : 0.4)) {
                    r = Relations.BIRTH_CITY;
                } else {
                    r = options.get(rnd.nextInt(options.size()));
                }
                used.add(s + "\u0000" + r);
                String truth = world.objectOf(s, r);
                String target = world.counterfactual(new Fact(s, r, truth), rnd, null);
                if (target == null) {
                    continue;
                }
                int n = world.relation(r).templates().size();
                int p = rnd.nextInt(n);
                out.add(new Edit(s, r, truth, target, p, otherIndex(p, n, rnd)));
            }
            if (out.size() == before) {
                break; // the split has no more editable facts
            }
        }
        return out;
    }

    private static int otherIndex(int index, int size, Random rnd) {
        int other = rnd.nextInt(size - 1);
        return other >= index ? other + 1 : other;
    }

    private String pick(List<String> templates, Random rnd) {
        return templates.get(rnd.nextInt(templates.size()));
    }

    private List<String> templatesOf(String relation, boolean question) {
        Relation rel = world.relation(relation);
        return question ? rel.questionTemplates() : rel.templates();
    }

    /** Wording of portability prompts: held-out templates on a generation-2 world, else the trained ones. */
    private List<String> portabilityTemplates(String relation, boolean question) {
        if (!heldOutWording) {
            return templatesOf(relation, question);
        }
        Relation rel = world.relation(relation);
        return question ? rel.heldOutQuestionTemplates() : rel.heldOutTemplates();
    }

    /** The rephrase prompt: another trained template (generation 1) or a held-out one (generation 2). */
    private String rephrase(Relation rel, Edit e, Random rnd) {
        return heldOutWording ? Relation.fill(pick(rel.heldOutTemplates(), rnd), e.subject)
                : Relation.fill(rel.templates().get(e.rephraseIndex), e.subject);
    }

    private Item item(String subject, String relation, Random rnd, boolean question) {
        String truth = world.objectOf(subject, relation);
        return new Item(Relation.fill(pick(templatesOf(relation, question), rnd), subject), truth, objectAliases(truth));
    }

    private List<String> objectAliases(String object) {
        var names = new ArrayList<String>();
        names.add(object);
        names.addAll(world.aliases().getOrDefault(object, List.of()));
        return names;
    }

    /** The edited fact asked through each alias of the subject. */
    private List<Item> aliasing(Edit e, Random rnd, boolean question) {
        var out = new ArrayList<Item>();
        for (String alias : world.aliases().getOrDefault(e.subject, List.of())) {
            out.add(new Item(Relation.fill(pick(portabilityTemplates(e.relation, question), rnd), alias), e.targetNew,
                    List.of(e.targetNew)));
        }
        return out;
    }

    /**
     * Multi-hop consequences of the edit that differ from before: a person's new birth city moves
     * their country (and maybe continent) of birth; a city moved to another country takes that
     * country's currency, capital and continent. Prompts for compositions the model was never
     * trained on come from {@link ReasoningTemplates}.
     */
    private List<Item> reasoning(Edit e, Random rnd, boolean question) {
        var out = new ArrayList<Item>();
        if (e.relation.equals(Relations.BIRTH_CITY)) {
            String newCountry = world.objectOf(e.targetNew, Relations.CITY_COUNTRY);
            String oldCountry = e.groundTruth == null ? null : world.objectOf(e.groundTruth, Relations.CITY_COUNTRY);
            if (newCountry != null && !newCountry.equals(oldCountry)) {
                out.add(new Item(Relation.fill(pick(portabilityTemplates(Relations.BIRTH_COUNTRY, question), rnd), e.subject),
                        newCountry, objectAliases(newCountry)));
                String newContinent = world.objectOf(newCountry, Relations.CONTINENT);
                String oldContinent = oldCountry == null ? null : world.objectOf(oldCountry, Relations.CONTINENT);
                if (newContinent != null && !newContinent.equals(oldContinent)) {
                    out.add(new Item(Relation.fill(ReasoningTemplates.birthContinent(question), e.subject),
                            newContinent, List.of(newContinent)));
                }
            }
        } else if (e.relation.equals(Relations.CITY_COUNTRY)) {
            for (String r : List.of(Relations.CURRENCY, Relations.CAPITAL, Relations.CONTINENT)) {
                String now = world.objectOf(e.targetNew, r);
                String before = world.objectOf(e.groundTruth, r);
                if (now != null && !now.equals(before)) {
                    out.add(new Item(Relation.fill(ReasoningTemplates.viaCityCountry(r, question), e.subject),
                            now, List.of(now)));
                }
            }
        }
        return out;
    }

    /** The inverse of a capital edit: the new capital is the capital of the subject. */
    private List<Item> logical(Edit e, Random rnd, boolean question) {
        if (!e.relation.equals(Relations.CAPITAL)) {
            return List.of();
        }
        return List.of(new Item(Relation.fill(ReasoningTemplates.capitalOf(question), e.targetNew), e.subject,
                objectAliases(e.subject)));
    }

    /**
     * Facts the edit must leave alone: up to two other relations of the same subject (not those the
     * edit changes through reasoning) and two facts of the same relation about unrelated subjects.
     */
    private List<Item> specificity(String subject, String relation, Random rnd, boolean question) {
        return specificity(subject, relation, rnd, question, Set.of());
    }

    private static String factKey(String subject, String relation) {
        return subject + "\u0000" + relation;
    }

    /** As above, never asking about a fact in {@code avoid} ({@link #factKey} keys). */
    private List<Item> specificity(String subject, String relation, Random rnd, boolean question, Set<String> avoid) {
        var out = new ArrayList<Item>();
        var others = new ArrayList<String>();
        for (String r : world.relationsOf(subject)) {
            if (!r.equals(relation) && !r.equals(Relations.ALIAS_OF) && !avoid.contains(factKey(subject, r))
                    && !(relation.equals(Relations.BIRTH_CITY) && r.equals(Relations.BIRTH_COUNTRY))) {
                others.add(r);
            }
        }
        Collections.shuffle(others, rnd);
        for (String r : others.subList(0, Math.min(2, others.size()))) {
            out.add(item(subject, r, rnd, question));
        }
        var candidates = new ArrayList<String>();
        for (String s : world.subjects()) {
            if (world.canonical(s).equals(s) && world.objectOf(s, relation) != null && !world.related(subject, s)
                    && !avoid.contains(factKey(s, relation))) {
                candidates.add(s);
            }
        }
        Set<String> chosen = new HashSet<>();
        while (chosen.size() < Math.min(2, candidates.size())) {
            String s = candidates.get(rnd.nextInt(candidates.size()));
            if (chosen.add(s)) {
                out.add(item(s, relation, rnd, question));
            }
        }
        return out;
    }

    /** Adds a list under {@code key} unless empty; recent-style ground truths are {@code [[aliases]]}. */
    private static void addItems(JsonObject parent, String key, List<Item> items, boolean aliasLists) {
        if (items.isEmpty()) {
            return;
        }
        var arr = new JsonArray();
        for (Item it : items) {
            var o = new JsonObject();
            o.addProperty("prompt", it.prompt);
            if (aliasLists) {
                var inner = new JsonArray();
                it.truthAliases.forEach(inner::add);
                var outer = new JsonArray();
                outer.add(inner);
                o.add("ground_truth", outer);
            } else {
                o.addProperty("ground_truth", it.truth);
            }
            arr.add(o);
        }
        parent.add(key, arr);
    }
}
