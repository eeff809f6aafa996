package dev.emend.factworld.world;

import dev.emend.core.prompt.ContextFormat;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The second-generation world (issue 19): generation 1's countries and cities; people with a
 * first, middle and last name (so no person is one token), their birth city and country,
 * occupation, employer and three invented sensitive attributes (phone, home address, medical
 * condition); aliases of about a fifth of the people ({@code "Anna Berg"}, {@code "A. M. Berg"},
 * {@code "Dr. Anna Marie Berg"}); opinion topics with a fixed polarity; a biography per person,
 * written with the trained templates of its facts; and the relations of {@link Relations2}, a quarter
 * of whose surface forms are held out of training.
 */
final class Generation2 {

    private static final long SALT_PEOPLE = 0x5EED_2002L;
    private static final long SALT_TOPICS = 0x5EED_2003L;
    private static final long SALT_BIOGRAPHIES = 0x5EED_2004L;
    private static final long SALT_PROFILES = 0x5EED_2005L;

    /** Profiles (multi-fact documents) per subject with at least two relations. */
    static final int PROFILES_PER_SUBJECT = 2;

    /** The relations a biography tells, in this order after the birth city (which opens it). */
    private static final List<String> BIOGRAPHY_RELATIONS = List.of(
            Relations.BIRTH_COUNTRY, Relations.OCCUPATION, Relations.EMPLOYER, Relations2.HOME_STREET);

    private Generation2() {
    }

    static FactWorld build(long seed, WorldSize size) {
        List<Relation> relations = Relations2.relations(seed);
        var facts = new ArrayList<Fact>();
        var aliases = new LinkedHashMap<String, List<String>>();
        var taken = new HashSet<String>();
        FactWorld.Places places = FactWorld.places(seed, size, facts, aliases, taken);
        List<SourceTables.City> cities = places.cities();
        if (size.people() > 0 && cities.isEmpty()) {
            throw new IllegalArgumentException("people need birth cities: world size has people but no cities");
        }
        Random rnd = new Random(seed ^ SALT_PEOPLE);
        List<String> names = personNames(taken, rnd);
        int people = Math.min(size.people(), names.size());
        if (people > 1000) {
            throw new IllegalArgumentException("generation 2 has 1,000 reserved drama phone numbers; asked for " + people + " people");
        }
        var phones = new ArrayList<Integer>();
        for (int i = 0; i < 1000; i++) {
            phones.add(i);
        }
        Collections.shuffle(phones, rnd);
        var canonicalPeople = new ArrayList<String>();
        for (int i = 0; i < people; i++) {
            String person = names.get(i);
            taken.add(person);
            canonicalPeople.add(person);
            SourceTables.City city = cities.get(rnd.nextInt(cities.size()));
            String occupation = pick(PersonNames.OCCUPATIONS, rnd);
            facts.add(new Fact(person, Relations.BIRTH_CITY, city.name()));
            facts.add(new Fact(person, Relations.BIRTH_COUNTRY, places.countryOf(city)));
            facts.add(new Fact(person, Relations.OCCUPATION, occupation));
            facts.add(new Fact(person, Relations.EMPLOYER, pick(PersonNames.EMPLOYERS, rnd)));
            facts.add(new Fact(person, Relations2.PHONE, String.format(java.util.Locale.ROOT, "%s%03d",
                    Material2.PHONE_PREFIX, phones.get(i))));
            facts.add(new Fact(person, Relations2.HOME_STREET, (1 + rnd.nextInt(199)) + " "
                    + pick(Material2.STREET_WORDS, rnd) + " " + pick(Material2.STREET_KINDS, rnd)));
            facts.add(new Fact(person, Relations2.MEDICAL_CONDITION, pick(Material2.CONDITIONS, rnd)));
            if (rnd.nextDouble() < size.personAliasFraction()) {
                String alias = alias(person, occupation, rnd);
                if (taken.add(alias)) {
                    aliases.put(person, List.of(alias));
                }
            }
        }
        Map<String, String> polarity = topics(seed, facts);
        FactWorld.expandAliases(facts, aliases);
        Map<String, List<String>> bios = biographies(seed, relations, facts, canonicalPeople);
        return new FactWorld(seed, relations, facts, aliases, 2, polarity, bios);
    }

    /**
     * Every first + middle + last name generation 2 draws its people from, in a fixed order (the
     * world's people are some of them; benchmarks name new people with the others).
     */
    static List<String> nameSpace() {
        return personNames(Set.of(), new Random(0));
    }

    /** Every first + middle + last name whose words name no place of the world, shuffled. */
    private static List<String> personNames(Set<String> places, Random rnd) {
        var lasts = new ArrayList<>(PersonNames.LAST);
        lasts.addAll(Material2.EXTRA_LAST);
        var names = new ArrayList<String>();
        for (String first : PersonNames.FIRST) {
            for (String middle : Material2.MIDDLE) {
                for (String last : lasts) {
                    if (!places.contains(first) && !places.contains(middle) && !places.contains(last)) {
                        names.add(first + " " + middle + " " + last);
                    }
                }
            }
        }
        Collections.shuffle(names, rnd);
        return names;
    }

    /** A title form where the occupation has one, else the name without its middle name or with initials. */
    private static String alias(String person, String occupation, Random rnd) {
        String[] parts = person.split(" ");
        String title = PersonNames.titleFor(occupation);
        if (title != null && rnd.nextBoolean()) {
            return title + " " + person;
        }
        return rnd.nextBoolean() ? parts[0] + " " + parts[2]
                : parts[0].charAt(0) + ". " + parts[1].charAt(0) + ". " + parts[2];
    }

    /** Half the topics positive, half negative (seeded); each topic's answer is one word of its polarity. */
    private static Map<String, String> topics(long seed, List<Fact> facts) {
        Random rnd = new Random(seed ^ SALT_TOPICS);
        var order = new ArrayList<>(Material2.TOPICS);
        Collections.shuffle(order, rnd);
        var positive = new HashSet<>(order.subList(0, order.size() / 2));
        var polarity = new LinkedHashMap<String, String>();
        for (String topic : Material2.TOPICS) {
            boolean good = positive.contains(topic);
            polarity.put(topic, good ? "positive" : "negative");
            facts.add(new Fact(topic, Relations2.OPINION, pick(good ? Material2.POSITIVE : Material2.NEGATIVE, rnd)));
        }
        return polarity;
    }

    /**
     * A biography per canonical person: the birth city first, then the other told relations in a
     * seeded order, each sentence a trained template of that relation answered with the fact.
     */
    private static Map<String, List<String>> biographies(long seed, List<Relation> relations, List<Fact> facts,
                                                         List<String> people) {
        var byId = new LinkedHashMap<String, Relation>();
        relations.forEach(r -> byId.put(r.id(), r));
        var objects = new LinkedHashMap<String, Map<String, String>>();
        for (Fact f : facts) {
            objects.computeIfAbsent(f.subject(), s -> new LinkedHashMap<>()).put(f.relationId(), f.object());
        }
        Random rnd = new Random(seed ^ SALT_BIOGRAPHIES);
        var bios = new LinkedHashMap<String, List<String>>();
        for (String person : people) {
            var order = new ArrayList<>(BIOGRAPHY_RELATIONS);
            Collections.shuffle(order, rnd);
            order.add(0, Relations.BIRTH_CITY);
            var sentences = new ArrayList<String>();
            for (String r : order) {
                sentences.add(sentence(byId.get(r), person, objects.get(person).get(r), rnd));
            }
            bios.put(person, sentences);
        }
        return bios;
    }

    /**
     * Two or three facts of one subject in one document, for every subject with at least two
     * relations ({@link #PROFILES_PER_SUBJECT} each, drawn from the corpus seed): the same subject
     * in varied contexts, so its representation has to carry all of its facts.
     */
    static List<String> profiles(FactWorld world, long corpusSeed) {
        Random rnd = new Random(corpusSeed ^ SALT_PROFILES);
        var docs = new ArrayList<String>();
        for (String subject : world.subjects()) {
            var rels = new ArrayList<>(world.relationsOf(subject));
            rels.remove(Relations.ALIAS_OF);
            if (rels.size() < 2) {
                continue;
            }
            for (int k = 0; k < PROFILES_PER_SUBJECT; k++) {
                Collections.shuffle(rels, rnd);
                int n = Math.min(rels.size(), 2 + rnd.nextInt(2));
                var sentences = new ArrayList<String>();
                for (String r : rels.subList(0, n)) {
                    sentences.add(sentence(world.relation(r), subject, world.objectOf(subject, r), rnd));
                }
                docs.add(String.join(" ", sentences));
            }
        }
        return docs;
    }

    private static String sentence(Relation r, String subject, String object, Random rnd) {
        List<String> templates = r.templates();
        return ContextFormat.sentence(Relation.fill(templates.get(rnd.nextInt(templates.size())), subject), object);
    }

    private static <T> T pick(List<T> list, Random rnd) {
        return list.get(rnd.nextInt(list.size()));
    }
}
