package dev.emend.factworld.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.prompt.ContextFormat;
import dev.emend.factworld.world.FactWorld;
import dev.emend.factworld.world.Material2;
import dev.emend.factworld.world.Relation;
import dev.emend.factworld.world.Relations;
import dev.emend.factworld.world.Relations2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * KnowEdit's three non-fact tasks (issue 20) from a generation-2 world, in the field layouts
 * EasyEdit reads for Sanitation, ConvSent and WikiBio:
 * <ul>
 *   <li>{@code erasure.json} ({@code {success, locality}}) / {@code erasure-train.json}
 *       ({@code {K_F, K_R}}): a question about a person's sensitive attribute (phone, home street,
 *       medical condition; one per person) → {@value #REFUSAL}; the retain lists hold the other
 *       people's sensitive attributes and the forgotten people's other ones.</li>
 *   <li>{@code sentiment.json} / {@code -train}: records {@code {ent, pos, neg, topic_polarity}}
 *       where pos/neg answer "I think it is &lt;word&gt;." with the world's polarity words; the
 *       records alternate negative and positive topics, so that the target sentiment knowedit's
 *       reader assigns (even index: positive, odd: negative) always flips the world's opinion.</li>
 *   <li>{@code longform.json} / {@code -train}: records {@code {text, labels, concept, locality,
 *       ground_truth}}: text = "This is a biography of P." and (at most two of) the sentences before the edited one,
 *       labels = the corrected sentence (the occupation or employer sentence with another object,
 *       same template), ground_truth = the sentence the biography had; locality
 *       {@code Rest_Of_Biography} (each other sentence after the corrected prefix) and
 *       {@code Other_Biographies} (a sentence of each of two other people's biographies).</li>
 * </ul>
 * Test and train files use disjoint people (topics). Same world and seed, same bytes.
 */
public final class TaskBenchmarkGenerator {
    public static final String REFUSAL = "I don't know.";
    public static final String BIOGRAPHY_INTRO = "This is a biography of %s.";
    static final int ERASURE_TEST = 60;
    static final int ERASURE_TRAIN = 30;
    static final int SENTIMENT_TEST = 30;
    static final int SENTIMENT_TRAIN = 20;
    static final int LONGFORM_TEST = 60;
    static final int LONGFORM_TRAIN = 30;
    /** Sentences of the biography before the one asked for that a long-form prompt carries. */
    static final int PREFIX_SENTENCES = 2;

    private static final long SALT = 0x7A5C_2020L;
    private static final List<String> SENSITIVE = List.of(Relations2.PHONE, Relations2.HOME_STREET, Relations2.MEDICAL_CONDITION);
    private static final List<String> CORRECTED = List.of(Relations.OCCUPATION, Relations.EMPLOYER);

    private final FactWorld world;
    private final long seed;
    private final List<String> people;

    public TaskBenchmarkGenerator(FactWorld world, long seed) {
        if (world.generation() != 2) {
            throw new IllegalArgumentException("the erasure, sentiment and long-form benchmarks need a generation-2 world "
                    + "(sensitive attributes, opinion topics, biographies); this world is generation " + world.generation());
        }
        this.world = world;
        this.seed = seed;
        this.people = new ArrayList<>(world.biographies().keySet());
        Collections.shuffle(people, new Random(seed ^ SALT));
        int need = Math.max(ERASURE_TEST + ERASURE_TRAIN, LONGFORM_TEST + LONGFORM_TRAIN);
        if (people.size() < need + 2) {
            throw new IllegalArgumentException("the task benchmarks need at least " + (need + 2) + " people; the world has "
                    + people.size());
        }
    }

    /** Writes the six files into {@code dir}; returns file name → number of edit cases. */
    public Map<String, Integer> writeAll(Path dir) {
        var counts = new LinkedHashMap<String, Integer>();
        write(dir, "erasure.json", erasure(false), counts);
        write(dir, "erasure-train.json", erasure(true), counts);
        write(dir, "sentiment.json", sentiment(false), counts);
        write(dir, "sentiment-train.json", sentiment(true), counts);
        write(dir, "longform.json", longform(false), counts);
        write(dir, "longform-train.json", longform(true), counts);
        return counts;
    }

    private static void write(Path dir, String name, com.google.gson.JsonElement json, Map<String, Integer> counts) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name), FactWorld.gson().toJson(json) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(name), e);
        }
        counts.put(name, json.isJsonArray() ? json.getAsJsonArray().size()
                : json.getAsJsonObject().getAsJsonArray(name.contains("train") ? "K_F" : "success").size());
    }

    // ------------------------------------------------------------------ erasure (Sanitation)

    /** Test: people [0, 60), train: people [60, 90); person i forgets SENSITIVE[i % 3]. */
    public JsonObject erasure(boolean train) {
        Random rnd = new Random(seed ^ SALT ^ (train ? 11 : 1));
        int from = train ? ERASURE_TEST : 0;
        int to = train ? ERASURE_TEST + ERASURE_TRAIN : ERASURE_TEST;
        var forget = new JsonArray();
        var retain = new JsonArray();
        for (int i = from; i < to; i++) {
            String person = people.get(i);
            String erased = SENSITIVE.get(i % SENSITIVE.size());
            forget.add(sanitationItem(person, erased, REFUSAL, rnd));
            // the same person's next sensitive attribute is kept
            String kept = SENSITIVE.get((i + 1) % SENSITIVE.size());
            String truth = world.objectOf(person, kept);
            retain.add(sanitationItem(person, kept, truth, rnd));
        }
        // people no file edits: every sensitive attribute kept
        for (int i = 0; i < to - from; i++) {
            String person = bystander(from + i);
            String kept = SENSITIVE.get(i % SENSITIVE.size());
            retain.add(sanitationItem(person, kept, world.objectOf(person, kept), rnd));
        }
        var out = new JsonObject();
        out.add(train ? "K_F" : "success", forget);
        out.add(train ? "K_R" : "locality", retain);
        return out;
    }

    private JsonObject sanitationItem(String person, String relation, String target, Random rnd) {
        Relation r = world.relation(relation);
        var o = new JsonObject();
        o.addProperty("question", Relation.fill(pick(r.questionTemplates(), rnd), person));
        o.addProperty("ground_truth", world.objectOf(person, relation));
        o.addProperty("target_new", target);
        o.addProperty("subject", person);
        return o;
    }

    // ------------------------------------------------------------------ sentiment (ConvSent)

    /** Records alternate a negative-opinion topic (even index: target positive) and a positive one. */
    public JsonArray sentiment(boolean train) {
        var negative = new ArrayList<String>();
        var positive = new ArrayList<String>();
        world.topicPolarity().forEach((topic, p) -> (p.equals("positive") ? positive : negative).add(topic));
        Random order = new Random(seed ^ SALT ^ 2);
        Collections.shuffle(negative, order);
        Collections.shuffle(positive, order);
        int half = (train ? SENTIMENT_TRAIN : SENTIMENT_TEST) / 2;
        int skip = train ? SENTIMENT_TEST / 2 : 0;
        if (Math.min(negative.size(), positive.size()) < SENTIMENT_TEST / 2 + SENTIMENT_TRAIN / 2) {
            throw new IllegalArgumentException("the sentiment benchmarks need " + (SENTIMENT_TEST / 2 + SENTIMENT_TRAIN / 2)
                    + " topics of each polarity; the world has " + positive.size() + " positive and " + negative.size() + " negative");
        }
        var out = new JsonArray();
        for (int i = 0; i < half; i++) {
            out.add(sentimentRecord(negative.get(skip + i), "negative", 2 * i));
            out.add(sentimentRecord(positive.get(skip + i), "positive", 2 * i + 1));
        }
        return out;
    }

    private static JsonObject sentimentRecord(String topic, String polarity, int index) {
        var o = new JsonObject();
        o.addProperty("ent", topic);
        o.add("pos", answers(Material2.POSITIVE, index));
        o.add("neg", answers(Material2.NEGATIVE, index));
        o.addProperty("topic_polarity", polarity);
        return o;
    }

    /** "I think it is w." for each word, starting at a word that varies with the record. */
    private static JsonArray answers(List<String> words, int index) {
        var a = new JsonArray();
        for (int k = 0; k < words.size(); k++) {
            a.add("I think it is " + words.get((index + k) % words.size()) + ".");
        }
        return a;
    }

    // ------------------------------------------------------------------ long-form (WikiBio)

    public JsonArray longform(boolean train) {
        Random rnd = new Random(seed ^ SALT ^ (train ? 13 : 3));
        int from = train ? LONGFORM_TEST : 0;
        int to = train ? LONGFORM_TEST + LONGFORM_TRAIN : LONGFORM_TEST;
        var out = new JsonArray();
        for (int i = from; i < to; i++) {
            String person = people.get(i);
            List<String> bio = world.biographies().get(person);
            String relation = CORRECTED.get(i % CORRECTED.size());
            int at = sentenceOf(person, bio, relation);
            String template = matchingTemplate(person, bio.get(at), relation);
            String object = world.objectOf(person, relation);
            List<String> others = new ArrayList<>(world.objectsOf(relation));
            others.remove(object);
            String corrected = ContextFormat.sentence(Relation.fill(template, person), pick(others, rnd));
            List<String> fixed = new ArrayList<>(bio);
            fixed.set(at, corrected);

            var o = new JsonObject();
            o.addProperty("text", prefix(person, fixed, at));
            o.addProperty("labels", corrected);
            o.addProperty("concept", person);
            var locality = new JsonObject();
            var rest = new JsonArray();
            for (int j = 0; j < fixed.size(); j++) {
                if (j != at) {
                    rest.add(probe(prefix(person, fixed, j), fixed.get(j)));
                }
            }
            locality.add("Rest_Of_Biography", rest);
            var other = new JsonArray();
            for (int d = 1; d <= 2; d++) {
                String p = bystander(2 * i + d);
                List<String> b = world.biographies().get(p);
                int j = rnd.nextInt(b.size());
                other.add(probe(prefix(p, b, j), b.get(j)));
            }
            locality.add("Other_Biographies", other);
            o.add("locality", locality);
            o.addProperty("ground_truth", bio.get(at));
            out.add(o);
        }
        return out;
    }

    /** People never edited by any file: those after the test and train people, cyclically. */
    private String bystander(int k) {
        int edited = Math.max(ERASURE_TEST + ERASURE_TRAIN, LONGFORM_TEST + LONGFORM_TRAIN);
        return people.get(edited + k % (people.size() - edited));
    }

    /**
     * The text before sentence {@code upTo}: the opening line and at most {@link #PREFIX_SENTENCES}
     * sentences before it. KnowEdit's WikiBio text is the whole passage so far; a window keeps every
     * prompt and its sentence within a small model's context (the default model's 128 tokens).
     */
    private static String prefix(String person, List<String> bio, int upTo) {
        var parts = new ArrayList<String>();
        parts.add(String.format(BIOGRAPHY_INTRO, person));
        parts.addAll(bio.subList(Math.max(0, upTo - PREFIX_SENTENCES), upTo));
        return String.join(" ", parts);
    }

    private static JsonObject probe(String prompt, String answer) {
        var o = new JsonObject();
        o.addProperty("prompt", prompt);
        var gt = new JsonArray();
        gt.add(answer);
        o.add("ground_truth", gt);
        return o;
    }

    private int sentenceOf(String person, List<String> bio, String relation) {
        for (int j = 0; j < bio.size(); j++) {
            if (matchingTemplate(person, bio.get(j), relation) != null) {
                return j;
            }
        }
        throw new IllegalStateException("the biography of " + person + " has no " + relation + " sentence: " + bio);
    }

    /** The trained template of {@code relation} that, filled and answered with the fact, is {@code sentence}. */
    private String matchingTemplate(String person, String sentence, String relation) {
        String object = world.objectOf(person, relation);
        for (String t : world.relation(relation).templates()) {
            if (ContextFormat.sentence(Relation.fill(t, person), object).equals(sentence)) {
                return t;
            }
        }
        return null;
    }

    private static <T> T pick(List<T> list, Random rnd) {
        return list.get(rnd.nextInt(list.size()));
    }
}
