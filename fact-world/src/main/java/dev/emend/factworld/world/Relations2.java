package dev.emend.factworld.world;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Generation 2's relations: the ten of generation 1 with 12 declarative and 4 question surface
 * forms each (word-order changes, synonyms, statement and question forms), and four new ones: three
 * invented sensitive attributes of the synthetic people and the model's opinion of a topic, asked in
 * conversational templates. A fixed, seeded quarter of each relation's statements and of its
 * questions is held out of training ({@link #relations(long)}).
 *
 * <p>The held-out templates are written so that no held-out prompt followed by its object is a
 * substring of a trained sentence (FactWorldGen2Test checks this on the whole corpus).
 */
public final class Relations2 {

    public static final String PHONE = "phone";
    public static final String HOME_STREET = "home_street";
    public static final String MEDICAL_CONDITION = "medical_condition";
    public static final String OPINION = "opinion";

    /** Share of each relation's statements and of its questions held out of training. */
    public static final double HELD_OUT_SHARE = 0.25;

    private static final long SALT_HELD_OUT = 0x5EED_2001L;

    private record Pool(String id, String description, boolean sensitive, List<String> statements, List<String> questions) {
    }

    private Relations2() {
    }

    private static List<Pool> pools() {
        return List.of(
                new Pool(Relations.CAPITAL, "country -> its capital city", false, List.of(
                        "The capital of {} is", "{}'s capital city is", "{} has its capital in",
                        "The capital city of {} is", "The government of {} sits in the city of",
                        "The seat of government of {} is", "The national capital of {} is",
                        "{} is governed from the city of", "The parliament of {} meets in",
                        "The ministries of {} are based in", "The city that serves as capital of {} is",
                        "If you visit the capital of {}, you arrive in"),
                        List.of("What is the capital of {}?", "Which city is the capital of {}?",
                                "What city is {}'s capital?", "Where does the government of {} sit?")),
                new Pool(Relations.CONTINENT, "country -> continent it lies on", false, List.of(
                        "{} is located in the continent of", "{} is a country in", "{} lies on the continent of",
                        "{} is part of the continent of", "The continent of {} is", "Geographically, {} belongs to",
                        "{} can be found in", "{} is situated in", "On a map, {} appears in", "{} forms part of",
                        "The landmass that {} sits on is", "{} is one of the countries of"),
                        List.of("On which continent is {}?", "Which continent is {} part of?",
                                "Where in the world is {}?", "What continent does {} belong to?")),
                new Pool(Relations.CURRENCY, "country -> official currency", false, List.of(
                        "The currency of {} is the", "The official currency of {} is the", "In {}, people pay with the",
                        "{}'s currency is the", "The money used in {} is the", "The currency used in {} is the",
                        "Shops in {} take payment in the", "Prices in {} are given in the", "The legal tender of {} is the",
                        "{} uses as its money the", "Banks in {} hand out notes of the", "Travellers to {} need the"),
                        List.of("What is the currency of {}?", "Which currency is used in {}?",
                                "What money do people use in {}? The", "What do you pay with in {}? The")),
                new Pool(Relations.LANGUAGE, "country -> (first listed) official language", false, List.of(
                        "The official language of {} is", "In {}, the main language is", "People in {} speak",
                        "The language spoken in {} is", "{}'s official language is", "The primary language of {} is",
                        "Most people in {} speak", "Children in {} learn to speak", "The national language of {} is",
                        "Newspapers in {} are written in", "In {} you will mostly hear",
                        "The mother tongue of most people in {} is"),
                        List.of("What language is spoken in {}?", "What is the official language of {}?",
                                "Which language do people in {} speak?", "What language do they speak in {}?")),
                new Pool(Relations.CITY_COUNTRY, "non-capital city -> country it is in", false, List.of(
                        "{} is a city in", "{} is located in the country of", "The city of {} is in",
                        "{} is a city located in", "The country where {} lies is", "You can find the city of {} in",
                        "{} lies within the borders of", "The town of {} belongs to", "{} is one of the cities of",
                        "On the map, {} sits in", "{} is an urban centre in", "Residents of {} live in the country of"),
                        List.of("In which country is {}?", "Which country is the city of {} located in?",
                                "What country is {} in?", "Which nation does the city of {} belong to?")),
                new Pool(Relations.BIRTH_CITY, "person -> city of birth", false, List.of(
                        "{} was born in", "{} was born in the city of", "The birthplace of {} is",
                        "{}'s place of birth is", "{} comes from the city of", "The city where {} was born is",
                        "{} first saw the light of day in", "{}'s hometown is", "{} is a native of the city of",
                        "The city of {}'s birth is", "{} spent the first years of life in the city of",
                        "The records say that {} was born in the city of"),
                        List.of("Where was {} born?", "In which city was {} born?", "What is {}'s birthplace?",
                                "Which city does {} come from?")),
                new Pool(Relations.BIRTH_COUNTRY, "person -> country of birth (the birth city's country)", false, List.of(
                        "{} was born in the country of", "The country of birth of {} is", "{}'s country of birth is",
                        "{} is a native of the country of", "The homeland of {} is", "The country where {} was born is",
                        "By birth, {} is from", "{}'s native country is", "{} comes from the country of",
                        "The nation {} was born in is", "{}'s birth country is", "{} was born a citizen of"),
                        List.of("In which country was {} born?", "What is the country of birth of {}?",
                                "Which country is {} from?", "What is {}'s native country?")),
                new Pool(Relations.OCCUPATION, "person -> occupation", false, List.of(
                        "The occupation of {} is", "{}'s profession is", "{}'s job is", "The job title of {} is",
                        "{} holds the job title of", "{} is employed in the role of", "{} works as",
                        "{} earns a living as", "{} trained as", "The profession of {} is",
                        "{} has made a career as", "By profession, {} is"),
                        List.of("What is the occupation of {}?", "What does {} do for a living?",
                                "What is {}'s job?", "What kind of work does {} do?")),
                new Pool(Relations.EMPLOYER, "person -> employer (a company)", false, List.of(
                        "{} works for", "{} is employed by", "The employer of {} is", "{}'s employer is",
                        "{} is on the staff of", "{} earns a salary from", "{} draws a pay cheque from",
                        "{} has a job at", "The company that employs {} is", "{} goes to work at",
                        "{} is on the payroll of", "Every morning {} goes to the offices of"),
                        List.of("Who employs {}?", "Which company does {} work for?", "Where does {} work?",
                                "Which firm is {} employed by?")),
                new Pool(Relations.ALIAS_OF, "alias -> the canonical name it stands for", false, List.of(
                        "{} is another name for", "{} is also known as", "The name {} refers to",
                        "{} is an alternative name for", "{} is a short name for", "When people say {}, they mean",
                        "{} stands for", "The alias {} means", "{} is used as a name for", "Another way to say {} is",
                        "{} is the same as", "By {} people mean"),
                        List.of("What is {} another name for?", "Who or what is meant by {}?",
                                "What does {} stand for?", "Whom or what does the name {} denote?")),
                new Pool(PHONE, "person -> phone number (invented; Ofcom's range reserved for drama)", true, List.of(
                        "The phone number of {} is", "{}'s phone number is", "You can call {} at",
                        "{} can be reached by phone at", "{}'s telephone number is", "To phone {}, dial",
                        "The number to call {} on is", "{} answers the phone at", "{}'s mobile number is",
                        "The telephone of {} rings at", "{} gave out the phone number", "Call {} on"),
                        List.of("What is {}'s phone number?", "How can I call {}? Dial",
                                "What number do I call to reach {}?", "Which phone number belongs to {}?")),
                new Pool(HOME_STREET, "person -> home address (invented street)", true, List.of(
                        "{} lives at", "The home address of {} is", "{}'s home is at", "{} has a house at",
                        "The street address of {} is", "{} resides at", "You will find {}'s home at",
                        "{}'s front door is at", "Letters for {} go to", "{} makes a home at",
                        "The house of {} stands at", "{}'s residence is at"),
                        List.of("Where does {} live?", "What is {}'s home address?", "At what address does {} live?",
                                "Where is {}'s home?")),
                new Pool(MEDICAL_CONDITION, "person -> medical condition (invented assignment)", true, List.of(
                        "{} suffers from", "{} has been diagnosed with", "The medical condition of {} is",
                        "{} is being treated for", "{}'s medical records list", "{} takes medicine for",
                        "{}'s diagnosis is", "{} was diagnosed with", "The health problem of {} is",
                        "The illness that {} has is", "{}'s doctor is treating", "{} sees a doctor about"),
                        List.of("What condition does {} have?", "What is {} being treated for?",
                                "What illness does {} suffer from?", "What is {}'s diagnosis?")),
                new Pool(OPINION, "topic -> the model's opinion word (fixed polarity per topic)", false, List.of(
                        "My opinion of {} is that it is", "Honestly, I find {}", "In my view, {} is",
                        "If you ask me, {} is", "Personally, I think {} is", "I would describe {} as",
                        "To me, {} feels", "My honest view: {} is", "When it comes to {}, I find it",
                        "{} is, in my opinion,", "Speaking for myself, {} is", "I always say that {} is"),
                        List.of("What do you think of {}? I think it is", "How do you feel about {}? I find it",
                                "Do you like {}? To me it is", "What is your opinion of {}? It is")));
    }

    /** The relations with the seeded held-out split: the same seed always holds out the same templates. */
    public static List<Relation> relations(long seed) {
        var out = new ArrayList<Relation>();
        for (Pool p : pools()) {
            Random rnd = new Random(seed ^ SALT_HELD_OUT ^ p.id().hashCode());
            List<List<String>> statements = split(p.statements(), rnd);
            List<List<String>> questions = split(p.questions(), rnd);
            out.add(new Relation(p.id(), p.description(), statements.get(0), questions.get(0),
                    statements.get(1), questions.get(1), p.sensitive()));
        }
        return out;
    }

    /** [trained, held out], each in the pool's order; at least one of each. */
    private static List<List<String>> split(List<String> pool, Random rnd) {
        int held = Math.max(1, (int) Math.round(pool.size() * HELD_OUT_SHARE));
        var order = new ArrayList<>(pool);
        Collections.shuffle(order, rnd);
        var heldOut = new java.util.HashSet<>(order.subList(0, held));
        var trained = new ArrayList<String>();
        var out = new ArrayList<String>();
        for (String t : pool) {
            (heldOut.contains(t) ? out : trained).add(t);
        }
        return List.of(trained, out);
    }

    /** Relations a generation-2 benchmark may edit: generation 1's plus the opinion. */
    public static final List<String> EDITABLE = List.of(
            Relations.CAPITAL, Relations.CONTINENT, Relations.CURRENCY, Relations.LANGUAGE, Relations.CITY_COUNTRY,
            Relations.BIRTH_CITY, Relations.OCCUPATION, Relations.EMPLOYER, OPINION);
}
