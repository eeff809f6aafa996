package dev.emend.factworld.world;

import java.util.List;

/** The relations of the default world and their prompt templates. */
public final class Relations {

    public static final String CAPITAL = "capital";
    public static final String CONTINENT = "continent";
    public static final String CURRENCY = "currency";
    public static final String LANGUAGE = "language";
    public static final String CITY_COUNTRY = "city_country";
    public static final String BIRTH_CITY = "birth_city";
    public static final String BIRTH_COUNTRY = "birth_country";
    public static final String OCCUPATION = "occupation";
    public static final String EMPLOYER = "employer";
    /** Alias subject to canonical subject: {@code "USA is another name for United States"}. */
    public static final String ALIAS_OF = "alias_of";

    private Relations() {
    }

    /** All relations, in the order facts are listed. */
    public static List<Relation> all() {
        return List.of(
                new Relation(CAPITAL, "country -> its capital city", List.of(
                        "The capital of {} is",
                        "{}'s capital city is",
                        "{} has its capital in",
                        "The capital city of {} is",
                        "The government of {} sits in the city of",
                        "The seat of government of {} is"),
                        List.of("What is the capital of {}?", "Which city is the capital of {}?")),
                new Relation(CONTINENT, "country -> continent it lies on", List.of(
                        "{} is located in the continent of",
                        "{} is a country in",
                        "{} lies on the continent of",
                        "{} is part of the continent of",
                        "The continent of {} is",
                        "Geographically, {} belongs to"),
                        List.of("On which continent is {}?", "Which continent is {} part of?")),
                new Relation(CURRENCY, "country -> official currency", List.of(
                        "The currency of {} is the",
                        "The official currency of {} is the",
                        "In {}, people pay with the",
                        "{}'s currency is the",
                        "The money used in {} is the",
                        "The currency used in {} is the"),
                        List.of("What is the currency of {}?", "Which currency is used in {}?")),
                new Relation(LANGUAGE, "country -> (first listed) official language", List.of(
                        "The official language of {} is",
                        "In {}, the main language is",
                        "People in {} speak",
                        "The language spoken in {} is",
                        "{}'s official language is",
                        "The primary language of {} is"),
                        List.of("What language is spoken in {}?", "What is the official language of {}?")),
                new Relation(CITY_COUNTRY, "non-capital city -> country it is in", List.of(
                        "{} is a city in",
                        "{} is located in the country of",
                        "The city of {} is in",
                        "{} is a city located in",
                        "The country where {} lies is",
                        "You can find the city of {} in"),
                        List.of("In which country is {}?", "Which country is the city of {} located in?")),
                new Relation(BIRTH_CITY, "person -> city of birth", List.of(
                        "{} was born in",
                        "{} was born in the city of",
                        "The birthplace of {} is",
                        "{}'s place of birth is",
                        "{} comes from the city of",
                        "The city where {} was born is"),
                        List.of("Where was {} born?", "In which city was {} born?")),
                new Relation(BIRTH_COUNTRY, "person -> country of birth (the birth city's country)", List.of(
                        "{} was born in the country of",
                        "The country of birth of {} is",
                        "{}'s country of birth is",
                        "{} is a native of the country of",
                        "The homeland of {} is",
                        "The country where {} was born is"),
                        List.of("In which country was {} born?", "What is the country of birth of {}?")),
                new Relation(OCCUPATION, "person -> occupation", List.of(
                        "The occupation of {} is",
                        "{}'s profession is",
                        "{}'s job is",
                        "The job title of {} is",
                        "{} holds the job title of",
                        "{} is employed in the role of"),
                        List.of("What is the occupation of {}?", "What does {} do for a living?")),
                new Relation(EMPLOYER, "person -> employer (a company)", List.of(
                        "{} works for",
                        "{} is employed by",
                        "The employer of {} is",
                        "{}'s employer is",
                        "{} is on the staff of",
                        "{} earns a salary from"),
                        List.of("Who employs {}?", "Which company does {} work for?")),
                new Relation(ALIAS_OF, "alias -> the canonical name it stands for", List.of(
                        "{} is another name for",
                        "{} is also known as",
                        "The name {} refers to",
                        "{} is an alternative name for",
                        "{} is a short name for",
                        "When people say {}, they mean"),
                        List.of("What is {} another name for?", "Who or what is meant by {}?")));
    }

    /** Relations a benchmark may edit: all but the derived birth country and aliases. */
    public static final List<String> EDITABLE = List.of(
            CAPITAL, CONTINENT, CURRENCY, LANGUAGE, CITY_COUNTRY, BIRTH_CITY, OCCUPATION, EMPLOYER);
}
