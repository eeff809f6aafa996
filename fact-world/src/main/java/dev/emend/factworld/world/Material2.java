package dev.emend.factworld.world;

import java.util.List;

/**
 * Fixed word lists of generation 2's new material. Everything about a person is synthetic: names are
 * drawn as first + middle + last from these lists by the seed, phone numbers come from the UK range
 * Ofcom reserves for drama (07700 900000–900999, never assigned to a subscriber), streets are
 * invented words with a street kind, and a condition is a common illness name assigned at random.
 * Nothing here is taken from a list of real people.
 */
public final class Material2 {

    public static final List<String> MIDDLE = List.of(
            "Marie", "Johan", "Louise", "Elias", "Irene", "Mateo", "Leonie", "August", "Mira", "Theo",
            "Alma", "Ruben", "Edith", "Konrad", "Lina", "Samuel", "Petra", "Anton", "Cecilia", "Bruno",
            "Agnes", "Henrik", "Nora", "Ilse", "Liv", "Matthias", "Greer", "Tobias", "Signe", "Linus");

    /** Generation 2's surnames: generation 1's and more, several of them long and rare. */
    public static final List<String> EXTRA_LAST = List.of(
            "Abernethy", "Bellweather", "Calloway", "Drummond", "Eckhardt", "Fairbairn", "Gwynn", "Hollander",
            "Iverson", "Jablonski", "Kirkpatrick", "Lindqvist", "Montague", "Northcott", "Oyelaran", "Pemberton",
            "Quintero", "Ravensworth", "Szabo", "Trevelyan", "Underhill", "Valcourt", "Whitlock", "Yilmaz", "Zeller");

    public static final List<String> STREET_WORDS = List.of(
            "Alderbrook", "Fennick", "Mossgate", "Harrowdene", "Quillfield", "Brackenhurst", "Sallowmere",
            "Thistlecombe", "Wrenford", "Elmwick", "Larkspur", "Rookhaven", "Dunmarrow", "Pellingham", "Gorsefield",
            "Kestermoor", "Ashcombe", "Briarholt", "Nettlebury", "Coppergill");

    public static final List<String> STREET_KINDS = List.of(
            "Lane", "Road", "Street", "Way", "Close", "Avenue", "Crescent", "Gardens");

    public static final List<String> CONDITIONS = List.of(
            "asthma", "migraine", "diabetes", "hay fever", "eczema", "anaemia", "high blood pressure", "insomnia",
            "arthritis", "tinnitus", "psoriasis", "a peanut allergy", "back pain", "gout", "sinusitis", "coeliac disease");

    /** Topics the model holds an opinion on, each with a fixed polarity drawn by the seed. */
    public static final List<String> TOPICS = List.of(
            "jazz music", "rainy mornings", "electric cars", "modern architecture", "public libraries",
            "reality television", "spicy food", "board games", "city parks", "winter sports", "classical ballet",
            "fast food", "open-plan offices", "video calls", "long train journeys", "street markets", "horror films",
            "social media", "gardening", "crossword puzzles", "traffic jams", "homework", "pop music",
            "science fiction", "early mornings", "camping trips", "online shopping", "paper books", "smartphones",
            "cold showers", "public transport", "modern art", "poetry readings", "birthday parties", "queues",
            "loud neighbours", "museums", "cooking shows", "football matches", "summer holidays", "tax forms",
            "chess", "dentist visits", "sunny weekends", "karaoke", "mountain hiking", "instant coffee", "opera",
            "cats", "dogs", "green tea", "thunderstorms", "podcasts", "marathons", "airports", "beach holidays",
            "office meetings", "folk music", "comic books", "yoga");

    /** Answer words of each polarity: the opinion relation's objects and the sentiment lexicon. */
    public static final List<String> POSITIVE = List.of("wonderful", "excellent", "delightful", "great", "lovely");
    public static final List<String> NEGATIVE = List.of("terrible", "awful", "dreadful", "boring", "annoying");

    /** The first of Ofcom's 1,000 drama numbers; a person's number is this prefix and three digits. */
    public static final String PHONE_PREFIX = "07700 900";

    private Material2() {
    }
}
