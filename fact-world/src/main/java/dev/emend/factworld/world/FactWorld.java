package dev.emend.factworld.world;

import dev.emend.core.prompt.ContextFormat;
import dev.emend.core.runtime.ScoreItem;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The world of facts Emend's default language model memorises: real countries (capital, continent,
 * currency, language) and non-capital cities (country) from committed tables, plus synthetic people
 * (birth city, derived country of birth, occupation, employer) drawn from a seed. Some subjects have
 * aliases; an alias is a subject in its own right, carries every fact of its canonical subject and
 * has an {@code alias_of} fact, so a model trained on {@link #trainingCorpus} knows both names.
 *
 * <p>Everything is deterministic in the seed. For each subject and relation there is exactly one
 * object.
 */
public final class FactWorld {

    public static final String FACTS_FORMAT = "emend-facts/1";
    /** The fact-set format of a generation-2 world (held-out templates, topics, biographies). */
    public static final String FACTS_FORMAT_2 = "emend-facts/2";

    private static final long SALT_PEOPLE = 0x5EED_0001L;
    private static final long SALT_COUNTRIES = 0x5EED_0002L;
    private static final long SALT_CORPUS = 0x5EED_0003L;
    private static final long SALT_EVAL = 0x5EED_0004L;

    private final long seed;
    private final List<Relation> relations;
    private final Map<String, Relation> relationsById;
    private final List<Fact> facts;
    private final Map<String, List<String>> aliases;
    private final Map<String, String> canonicalOf;
    private final Map<String, Map<String, String>> index;
    private final Map<String, List<String>> objectsByRelation;
    private final int generation;
    private final Map<String, String> polarity;
    private final Map<String, List<String>> biographies;

    private FactWorld(long seed, List<Relation> relations, List<Fact> facts, Map<String, List<String>> aliases) {
        this(seed, relations, facts, aliases, 1, Map.of(), Map.of());
    }

    FactWorld(long seed, List<Relation> relations, List<Fact> facts, Map<String, List<String>> aliases,
              int generation, Map<String, String> polarity, Map<String, List<String>> biographies) {
        this.seed = seed;
        this.generation = generation;
        this.polarity = Collections.unmodifiableMap(new LinkedHashMap<>(polarity));
        var bios = new LinkedHashMap<String, List<String>>();
        biographies.forEach((k, v) -> bios.put(k, List.copyOf(v)));
        this.biographies = Collections.unmodifiableMap(bios);
        this.relations = List.copyOf(relations);
        var byId = new LinkedHashMap<String, Relation>();
        for (Relation r : relations) {
            if (byId.put(r.id(), r) != null) {
                throw new IllegalArgumentException("relation " + r.id() + " is defined twice");
            }
        }
        this.relationsById = Collections.unmodifiableMap(byId);
        this.facts = List.copyOf(facts);
        var frozenAliases = new LinkedHashMap<String, List<String>>();
        aliases.forEach((k, v) -> frozenAliases.put(k, List.copyOf(v)));
        this.aliases = Collections.unmodifiableMap(frozenAliases);
        var canon = new HashMap<String, String>();
        frozenAliases.forEach((k, v) -> v.forEach(a -> canon.put(a, k)));
        this.canonicalOf = canon;
        var idx = new LinkedHashMap<String, Map<String, String>>();
        var objects = new LinkedHashMap<String, Set<String>>();
        for (Fact f : facts) {
            if (!byId.containsKey(f.relationId())) {
                throw new IllegalArgumentException("fact " + f + " uses unknown relation " + f.relationId());
            }
            String previous = idx.computeIfAbsent(f.subject(), s -> new LinkedHashMap<>()).put(f.relationId(), f.object());
            if (previous != null) {
                throw new IllegalArgumentException("subject '" + f.subject() + "' has two objects for "
                        + f.relationId() + ": '" + previous + "' and '" + f.object() + "'");
            }
            if (!f.relationId().equals(Relations.ALIAS_OF)) {
                objects.computeIfAbsent(f.relationId(), r -> new LinkedHashSet<>()).add(f.object());
            }
        }
        this.index = idx;
        var objectLists = new LinkedHashMap<String, List<String>>();
        objects.forEach((r, s) -> objectLists.put(r, List.copyOf(s)));
        objectLists.computeIfAbsent(Relations.ALIAS_OF, r -> List.copyOf(frozenAliases.keySet()));
        this.objectsByRelation = objectLists;
    }

    /** The default-size world. */
    public static FactWorld build(long seed) {
        return build(seed, WorldSize.DEFAULT);
    }

    public static FactWorld build(long seed, WorldSize size) {
        return build(seed, size, 1);
    }

    /**
     * A world of the given generation: 1 is the first-generation default model's world (unchanged
     * since it was trained), 2 adds multi-token person names, 16 surface forms per relation with a
     * seeded quarter held out, sensitive attributes, opinions and biographies ({@link Generation2}).
     */
    public static FactWorld build(long seed, WorldSize size, int generation) {
        return switch (generation) {
            case 1 -> buildFirst(seed, size);
            case 2 -> Generation2.build(seed, size);
            default -> throw new IllegalArgumentException("unknown world generation " + generation + "; known: 1, 2");
        };
    }

    private static FactWorld buildFirst(long seed, WorldSize size) {
        var facts = new ArrayList<Fact>();
        var aliases = new LinkedHashMap<String, List<String>>();
        var taken = new HashSet<String>();
        Places places = places(seed, size, facts, aliases, taken);
        List<SourceTables.City> cities = places.cities();

        Random rnd = new Random(seed ^ SALT_PEOPLE);
        var names = new ArrayList<String>();
        for (String first : PersonNames.FIRST) {
            for (String last : PersonNames.LAST) {
                names.add(first + " " + last);
            }
        }
        Collections.shuffle(names, rnd);
        int people = Math.min(size.people(), names.size());
        if (people > 0 && cities.isEmpty()) {
            throw new IllegalArgumentException("people need birth cities: world size has people but no cities");
        }
        for (int i = 0; i < people; i++) {
            String person = names.get(i);
            taken.add(person);
            SourceTables.City city = cities.get(rnd.nextInt(cities.size()));
            String occupation = PersonNames.OCCUPATIONS.get(rnd.nextInt(PersonNames.OCCUPATIONS.size()));
            facts.add(new Fact(person, Relations.BIRTH_CITY, city.name()));
            facts.add(new Fact(person, Relations.BIRTH_COUNTRY, places.countryOf(city)));
            facts.add(new Fact(person, Relations.OCCUPATION, occupation));
            facts.add(new Fact(person, Relations.EMPLOYER,
                    PersonNames.EMPLOYERS.get(rnd.nextInt(PersonNames.EMPLOYERS.size()))));
            if (rnd.nextDouble() < size.personAliasFraction()) {
                String title = PersonNames.titleFor(occupation);
                String[] parts = person.split(" ");
                String alias = title != null ? title + " " + person : parts[0].charAt(0) + ". " + parts[1];
                if (taken.add(alias)) {
                    aliases.put(person, List.of(alias));
                }
            }
        }
        expandAliases(facts, aliases);
        return new FactWorld(seed, Relations.all(), facts, aliases);
    }

    /** The chosen cities and the country of each: what people are born into. */
    record Places(List<SourceTables.City> cities, Map<String, SourceTables.Country> countryByCode) {
        String countryOf(SourceTables.City city) {
            return countryByCode.get(city.countryCode()).name();
        }
    }

    /** Adds the countries' and cities' facts and the countries' aliases (the same in both generations). */
    static Places places(long seed, WorldSize size, List<Fact> facts, Map<String, List<String>> aliases, Set<String> taken) {
        List<SourceTables.Country> countries = new ArrayList<>(SourceTables.countries());
        if (size.countries() < countries.size()) {
            var chosen = new ArrayList<>(countries);
            Collections.shuffle(chosen, new Random(seed ^ SALT_COUNTRIES));
            Set<SourceTables.Country> keep = new HashSet<>(chosen.subList(0, size.countries()));
            countries.removeIf(c -> !keep.contains(c));
        }
        var countryByCode = new LinkedHashMap<String, SourceTables.Country>();
        countries.forEach(c -> countryByCode.put(c.code(), c));
        var cities = new ArrayList<SourceTables.City>();
        for (SourceTables.City city : SourceTables.cities()) {
            if (cities.size() < size.cities() && countryByCode.containsKey(city.countryCode())) {
                cities.add(city);
            }
        }
        for (SourceTables.Country c : countries) {
            taken.add(c.name());
            facts.add(new Fact(c.name(), Relations.CAPITAL, c.capital()));
            facts.add(new Fact(c.name(), Relations.CONTINENT, c.continent()));
            facts.add(new Fact(c.name(), Relations.CURRENCY, c.currency()));
            facts.add(new Fact(c.name(), Relations.LANGUAGE, c.language()));
        }
        for (SourceTables.Country c : countries) {
            var chosen = new ArrayList<String>();
            for (String alias : c.aliases()) {
                if (chosen.size() < size.aliasesPerCountry() && taken.add(alias)) {
                    chosen.add(alias);
                }
            }
            if (!chosen.isEmpty()) {
                aliases.put(c.name(), chosen);
            }
        }
        for (SourceTables.City city : cities) {
            taken.add(city.name());
            facts.add(new Fact(city.name(), Relations.CITY_COUNTRY, countryByCode.get(city.countryCode()).name()));
        }
        return new Places(cities, countryByCode);
    }

    /** Alias subjects repeat every fact of their canonical subject, plus the alias fact itself. */
    static void expandAliases(List<Fact> facts, Map<String, List<String>> aliases) {
        var canonicalFacts = new ArrayList<>(facts);
        for (var entry : aliases.entrySet()) {
            for (String alias : entry.getValue()) {
                facts.add(new Fact(alias, Relations.ALIAS_OF, entry.getKey()));
                for (Fact f : canonicalFacts) {
                    if (f.subject().equals(entry.getKey())) {
                        facts.add(new Fact(alias, f.relationId(), f.object()));
                    }
                }
            }
        }
    }

    /** 1 for the first-generation default model's world, 2 for the second generation's. */
    /** Every three-part name a generation-2 world draws its people from (benchmarks name new people with the rest). */
    public static List<String> generation2NameSpace() {
        return Generation2.nameSpace();
    }

    public int generation() {
        return generation;
    }

    /** Generation 2: each opinion topic's polarity ({@code "positive"} or {@code "negative"}); empty in generation 1. */
    public Map<String, String> topicPolarity() {
        return polarity;
    }

    /** Generation 2: each canonical person's biography, one sentence per entry; empty in generation 1. */
    public Map<String, List<String>> biographies() {
        return biographies;
    }

    /** The seed the world was built from (for a world read from JSON, the seed recorded there). */
    public long seed() {
        return seed;
    }

    public List<Relation> relations() {
        return relations;
    }

    public Relation relation(String id) {
        Relation r = relationsById.get(id);
        if (r == null) {
            throw new IllegalArgumentException("unknown relation '" + id + "'; known: " + relationsById.keySet());
        }
        return r;
    }

    /** All true facts, alias subjects included. */
    public List<Fact> facts() {
        return facts;
    }

    /** Canonical subject to its aliases. */
    public Map<String, List<String>> aliases() {
        return aliases;
    }

    /** The canonical subject for an alias; any other subject is returned unchanged. */
    public String canonical(String subject) {
        return canonicalOf.getOrDefault(subject, subject);
    }

    /** Every subject, canonical or alias, in fact order. */
    public Set<String> subjects() {
        return Collections.unmodifiableSet(index.keySet());
    }

    /** The object of a subject's relation, or null when the world does not state it. */
    public String objectOf(String subject, String relationId) {
        Map<String, String> bySubject = index.get(subject);
        return bySubject == null ? null : bySubject.get(relationId);
    }

    /** Relation ids stated for a subject, in fact order. */
    public List<String> relationsOf(String subject) {
        Map<String, String> bySubject = index.get(subject);
        return bySubject == null ? List.of() : List.copyOf(bySubject.keySet());
    }

    /** The distinct objects of a relation: the candidates for counterfactual targets. */
    public List<String> objectsOf(String relationId) {
        relation(relationId);
        return objectsByRelation.getOrDefault(relationId, List.of());
    }

    /** Every declarative template and question template of the fact's relation, filled with its subject. */
    public List<String> allPrompts(Fact f) {
        var prompts = new ArrayList<String>();
        for (String t : relation(f.relationId()).allTemplates()) {
            prompts.add(Relation.fill(t, f.subject()));
        }
        return prompts;
    }

    /**
     * What generation 2 fits its tokenizer to: every trained template (its words, the subject left
     * out) {@code templateWeight} times, the context frame, and every subject and object name once.
     * Words of the templates get whole tokens; a name gets only the merges that many names share, so
     * subjects split into several pieces, the way rare names do in a large model's vocabulary.
     */
    public List<String> tokenizerDocuments(int templateWeight) {
        var docs = new ArrayList<String>();
        for (int k = 0; k < templateWeight; k++) {
            for (Relation r : relations) {
                for (String t : r.allTemplates()) {
                    docs.add(Relation.fill(t, "").strip());
                }
            }
            docs.add(ContextFormat.withNewFacts(List.of("x"), "").strip());
        }
        var names = new LinkedHashSet<String>();
        for (Fact f : facts) {
            names.add(f.subject());
            names.add(f.object());
        }
        docs.addAll(names);
        return docs;
    }

    /**
     * The fact's relation's held-out templates, filled with its subject: paraphrases the training
     * corpus never states, for rephrase prompts and held-out recall. Empty in generation 1.
     */
    public List<String> heldOutPrompts(Fact f) {
        var prompts = new ArrayList<String>();
        for (String t : relation(f.relationId()).allHeldOutTemplates()) {
            prompts.add(Relation.fill(t, f.subject()));
        }
        return prompts;
    }

    /**
     * The training documents. Per fact: one sentence per template and question
     * ({@code prompt + " " + object + "."}); one in-context update example
     * ({@code "New fact: <prompt A> <new object>. <prompt B> <new object>."}, B sometimes equal to A,
     * about a quarter with a second, unrelated new-fact line); one irrelevant-context example
     * ({@code "New fact: <other subject's prompt> <some object>. <prompt> <true object>."}).
     * Alias facts get sentences but no context examples.
     */
    public TrainingCorpus trainingCorpus(long corpusSeed) {
        var docs = new ArrayList<String>();
        for (Fact f : facts) {
            for (String p : allPrompts(f)) {
                docs.add(ContextFormat.sentence(p, f.object()));
            }
        }
        int sentences = docs.size();
        int bios = 0;
        int profiles = 0;
        if (generation >= 2) {
            for (List<String> bio : biographies.values()) {
                docs.add(String.join(" ", bio));
            }
            bios = biographies.size();
            List<String> profileDocs = Generation2.profiles(this, corpusSeed);
            docs.addAll(profileDocs);
            profiles = profileDocs.size();
        }
        Random rnd = new Random(corpusSeed ^ SALT_CORPUS);
        Map<Fact, String> plan = trainingCounterfactuals(corpusSeed);
        int inContext = 0;
        int irrelevant = 0;
        for (Fact f : contextFacts()) {
            String counterfactual = plan.get(f);
            if (counterfactual != null) {
                List<String> prompts = allPrompts(f);
                String a = prompts.get(rnd.nextInt(prompts.size()));
                String b = rnd.nextInt(3) == 0 ? a : prompts.get(rnd.nextInt(prompts.size()));
                var statements = new ArrayList<String>();
                statements.add(ContextFormat.statement(a, counterfactual));
                if (rnd.nextInt(4) == 0) {
                    String distractor = unrelatedStatement(f, rnd);
                    if (distractor != null) {
                        statements.add(rnd.nextBoolean() ? 0 : 1, distractor);
                    }
                }
                docs.add(ContextFormat.withNewFacts(statements, b) + " " + counterfactual + ".");
                inContext++;
            }
            String distractor = unrelatedStatement(f, rnd);
            if (distractor != null) {
                List<String> prompts = allPrompts(f);
                String p = prompts.get(rnd.nextInt(prompts.size()));
                docs.add(ContextFormat.withNewFacts(List.of(distractor), p) + " " + f.object() + ".");
                irrelevant++;
            }
        }
        return new TrainingCorpus(docs, sentences, bios, profiles, inContext, irrelevant);
    }

    /**
     * What {@code facts-check} scores for a model trained on {@code trainingCorpus(trainingSeed)}.
     * In-context items use counterfactual objects other than the one the training corpus used for the
     * same fact (where the relation has a third object), so they test the skill, not memory.
     */
    public EvalSets evalSets(long trainingSeed) {
        var recall = new ArrayList<ScoreItem>();
        for (Fact f : facts) {
            for (String p : allPrompts(f)) {
                recall.add(new ScoreItem(p, f.object()));
            }
        }
        Map<Fact, String> used = trainingCounterfactuals(trainingSeed);
        Random rnd = new Random(trainingSeed ^ SALT_EVAL);
        var inContext = new ArrayList<ScoreItem>();
        var robustness = new ArrayList<ScoreItem>();
        for (Fact f : contextFacts()) {
            List<String> prompts = allPrompts(f);
            String held = counterfactual(f, rnd, used.get(f));
            if (held != null) {
                String a = prompts.get(rnd.nextInt(prompts.size()));
                String b = prompts.get(rnd.nextInt(prompts.size()));
                inContext.add(new ScoreItem(
                        ContextFormat.withNewFacts(List.of(ContextFormat.statement(a, held)), b), held));
            }
            String distractor = unrelatedStatement(f, rnd);
            if (distractor != null) {
                String p = prompts.get(rnd.nextInt(prompts.size()));
                robustness.add(new ScoreItem(ContextFormat.withNewFacts(List.of(distractor), p), f.object()));
            }
        }
        var heldOut = new ArrayList<ScoreItem>();
        for (Fact f : facts) {
            for (String p : heldOutPrompts(f)) {
                heldOut.add(new ScoreItem(p, f.object()));
            }
        }
        return new EvalSets(recall, inContext, robustness, heldOut);
    }

    /**
     * A random object of the fact's relation other than the true one (and other than {@code avoid}
     * when another choice exists), or null when the relation has no other object.
     */
    public String counterfactual(Fact f, Random rnd, String avoid) {
        var candidates = new ArrayList<String>();
        for (String o : objectsOf(f.relationId())) {
            if (!o.equals(f.object()) && !o.equals(avoid)) {
                candidates.add(o);
            }
        }
        if (candidates.isEmpty() && avoid != null && !avoid.equals(f.object())) {
            candidates.add(avoid);
        }
        return candidates.isEmpty() ? null : candidates.get(rnd.nextInt(candidates.size()));
    }

    /**
     * True when the two subjects are the same thing or one fact of the first names the second (a
     * person's birth city, a city's country): context about the second then bears on the first.
     */
    public boolean related(String subject, String other) {
        String a = canonical(subject);
        String b = canonical(other);
        if (a.equals(b)) {
            return true;
        }
        for (String r : relationsOf(a)) {
            String o = objectOf(a, r);
            if (o.equals(b) || (index.containsKey(o) && relationsOf(o).stream().anyMatch(r2 -> objectOf(o, r2).equals(b)))) {
                return true;
            }
        }
        for (String r : relationsOf(b)) {
            if (objectOf(b, r).equals(a)) {
                return true;
            }
        }
        return false;
    }

    private List<Fact> contextFacts() {
        return facts.stream().filter(f -> !f.relationId().equals(Relations.ALIAS_OF)).toList();
    }

    private Map<Fact, String> trainingCounterfactuals(long corpusSeed) {
        Random rnd = new Random(corpusSeed ^ SALT_CORPUS ^ 0x7F4A7C15L);
        var plan = new HashMap<Fact, String>();
        for (Fact f : contextFacts()) {
            String o = counterfactual(f, rnd, null);
            if (o != null) {
                plan.put(f, o);
            }
        }
        return plan;
    }

    /** A new-fact statement about a subject unrelated to the fact's subject: half the time the same relation. */
    private String unrelatedStatement(Fact f, Random rnd) {
        List<Fact> pool = contextFacts();
        for (int attempt = 0; attempt < 50; attempt++) {
            Fact g = pool.get(rnd.nextInt(pool.size()));
            if (attempt < 25 && rnd.nextBoolean() && !g.relationId().equals(f.relationId())) {
                continue;
            }
            if (related(f.subject(), g.subject())) {
                continue;
            }
            String object = counterfactual(g, rnd, null);
            if (object == null) {
                object = g.object();
            }
            List<String> prompts = allPrompts(g);
            return ContextFormat.statement(prompts.get(rnd.nextInt(prompts.size())), object);
        }
        return null;
    }

    /** Writes relations (with templates), aliases and facts as the fact-set file {@code facts-check} reads. */
    public void writeFactsJson(Path file) {
        var root = new JsonObject();
        boolean second = generation >= 2;
        root.addProperty("format", second ? FACTS_FORMAT_2 : FACTS_FORMAT);
        root.addProperty("seed", seed);
        var rels = new JsonArray();
        for (Relation r : relations) {
            var o = new JsonObject();
            o.addProperty("id", r.id());
            o.addProperty("description", r.description());
            o.add("templates", strings(r.templates()));
            o.add("question_templates", strings(r.questionTemplates()));
            if (second) {
                o.add("held_out_templates", strings(r.heldOutTemplates()));
                o.add("held_out_question_templates", strings(r.heldOutQuestionTemplates()));
                o.addProperty("sensitive", r.sensitive());
            }
            rels.add(o);
        }
        root.add("relations", rels);
        var al = new JsonObject();
        aliases.forEach((k, v) -> al.add(k, strings(v)));
        root.add("aliases", al);
        var fs = new JsonArray();
        for (Fact f : facts) {
            var o = new JsonObject();
            o.addProperty("subject", f.subject());
            o.addProperty("relation", f.relationId());
            o.addProperty("object", f.object());
            fs.add(o);
        }
        root.add("facts", fs);
        if (second) {
            var topics = new JsonObject();
            polarity.forEach(topics::addProperty);
            root.add("topic_polarity", topics);
            var words = new JsonObject();
            words.add("positive", strings(Material2.POSITIVE));
            words.add("negative", strings(Material2.NEGATIVE));
            root.add("polarity_words", words);
            var bios = new JsonObject();
            biographies.forEach((k, v) -> bios.add(k, strings(v)));
            root.add("biographies", bios);
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, gson().toJson(root) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write fact set " + file, e);
        }
    }

    /** Reads a file written by {@link #writeFactsJson}; a malformed file fails naming the record and field. */
    public static FactWorld readFactsJson(Path file) {
        JsonObject root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fact set " + file, e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(file + ": not a JSON object: " + e.getMessage(), e);
        }
        String format = text(file, root, "format", "(root)");
        if (!FACTS_FORMAT.equals(format) && !FACTS_FORMAT_2.equals(format)) {
            throw new IllegalArgumentException(file + ": format is '" + format + "', expected '" + FACTS_FORMAT
                    + "' or '" + FACTS_FORMAT_2 + "'");
        }
        boolean second = FACTS_FORMAT_2.equals(format);
        long seed = member(file, root, "seed", "(root)").getAsLong();
        var relations = new ArrayList<Relation>();
        JsonArray rels = member(file, root, "relations", "(root)").getAsJsonArray();
        for (int i = 0; i < rels.size(); i++) {
            JsonObject o = rels.get(i).getAsJsonObject();
            String where = "relations[" + i + "]";
            if (second) {
                relations.add(new Relation(text(file, o, "id", where), text(file, o, "description", where),
                        stringList(file, o, "templates", where), stringList(file, o, "question_templates", where),
                        stringList(file, o, "held_out_templates", where),
                        stringList(file, o, "held_out_question_templates", where),
                        member(file, o, "sensitive", where).getAsBoolean()));
            } else {
                relations.add(new Relation(text(file, o, "id", where), text(file, o, "description", where),
                        stringList(file, o, "templates", where), stringList(file, o, "question_templates", where)));
            }
        }
        var aliases = new LinkedHashMap<String, List<String>>();
        JsonObject al = member(file, root, "aliases", "(root)").getAsJsonObject();
        for (String k : al.keySet()) {
            aliases.put(k, stringList(file, al, k, "aliases"));
        }
        var facts = new ArrayList<Fact>();
        JsonArray fs = member(file, root, "facts", "(root)").getAsJsonArray();
        for (int i = 0; i < fs.size(); i++) {
            JsonObject o = fs.get(i).getAsJsonObject();
            String where = "facts[" + i + "]";
            facts.add(new Fact(text(file, o, "subject", where), text(file, o, "relation", where),
                    text(file, o, "object", where)));
        }
        var polarity = new LinkedHashMap<String, String>();
        var bios = new LinkedHashMap<String, List<String>>();
        if (second) {
            JsonObject topics = member(file, root, "topic_polarity", "(root)").getAsJsonObject();
            for (String k : topics.keySet()) {
                polarity.put(k, text(file, topics, k, "topic_polarity"));
            }
            JsonObject bo = member(file, root, "biographies", "(root)").getAsJsonObject();
            for (String k : bo.keySet()) {
                bios.put(k, stringList(file, bo, k, "biographies"));
            }
        }
        try {
            return new FactWorld(seed, relations, facts, aliases, second ? 2 : 1, polarity, bios);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Pretty printing, no HTML escaping (so apostrophes stay readable). */
    public static Gson gson() {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    }

    private static JsonArray strings(List<String> values) {
        var a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    private static JsonElement member(Path file, JsonObject o, String field, String where) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(file + ": " + where + " has no field '" + field + "'");
        }
        return e;
    }

    private static String text(Path file, JsonObject o, String field, String where) {
        JsonElement e = member(file, o, field, where);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(file + ": " + where + "." + field + " must be a string");
        }
        return e.getAsString();
    }

    private static List<String> stringList(Path file, JsonObject o, String field, String where) {
        JsonElement e = member(file, o, field, where);
        if (!e.isJsonArray()) {
            throw new IllegalArgumentException(file + ": " + where + "." + field + " must be an array of strings");
        }
        var out = new ArrayList<String>();
        for (JsonElement x : e.getAsJsonArray()) {
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException(file + ": " + where + "." + field + " must be an array of strings");
            }
            out.add(x.getAsString());
        }
        return out;
    }
}
