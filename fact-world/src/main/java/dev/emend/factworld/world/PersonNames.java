package dev.emend.factworld.world;

import java.util.List;

/**
 * Fixed word lists for synthetic people. None of the names is a country, capital or city of the
 * source tables, so a person's name never doubles as a place.
 */
public final class PersonNames {

    public static final List<String> FIRST = List.of(
            "Anna", "Boris", "Clara", "Daniel", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
            "Karin", "Lukas", "Maria", "Nils", "Olga", "Pavel", "Rosa", "Stefan", "Tamara", "Viktor",
            "Wanda", "Yusuf", "Zofia", "Amir", "Beatrix", "Carlos", "Dalia", "Emil", "Farah", "Gustav",
            "Hana", "Ivan", "Julia", "Kenji", "Leila", "Marco", "Nadia", "Oskar", "Priya", "Rafael",
            "Selma", "Tomas", "Ursula", "Vera", "Walter", "Ximena", "Yara", "Zeno");

    public static final List<String> LAST = List.of(
            "Berg", "Lind", "Novak", "Hartmann", "Okafor", "Tanaka", "Moreau", "Costa", "Petrov", "Jansen",
            "Kowalski", "Fischer", "Larsen", "Romero", "Haddad", "Nakamura", "Ferreira", "Dubois", "Svensson", "Mendes",
            "Horvat", "Keller", "Brandt", "Marsh", "Quinn", "Ortega", "Sato", "Weber", "Holm", "Varga",
            "Adeyemi", "Castell", "Duarte", "Eriksen", "Falk", "Gallo", "Hale", "Ibarra", "Jovanovic", "Kuznetsov",
            "Lorenz", "Moreno", "Nyberg", "Osei", "Pace", "Rinaldi", "Strand", "Thorne");

    public static final List<String> OCCUPATIONS = List.of(
            "physician", "surgeon", "nurse", "teacher", "professor", "engineer", "architect", "lawyer",
            "judge", "journalist", "photographer", "painter", "sculptor", "musician", "composer", "novelist",
            "poet", "chemist", "physicist", "economist", "pharmacist", "pilot", "chef", "farmer", "accountant");

    public static final List<String> EMPLOYERS = List.of(
            "Norland Systems", "Brightwater Foods", "Kestrel Aviation", "Halvard Shipping", "Corvane Labs",
            "Silverpine Media", "Ashgrove Bank", "Redmere Energy", "Tallis Pharma", "Quillon Press",
            "Marrow Steel", "Veldtstone Mining", "Blue Fjord Telecom", "Harborlane Insurance", "Copperleaf Software",
            "Northgate Logistics", "Stonebridge Construction", "Lumen Optics", "Greyhaven Textiles", "Pinecrest Clinics",
            "Windmere Airlines", "Saltmarsh Fisheries", "Oakridge Institute", "Falconet Robotics", "Emberline Chemicals",
            "Riverbend Studios", "Glasswing Games", "Ironvale Railways", "Starling Hotels", "Meadowlark Dairy");

    private PersonNames() {
    }

    /** A title that fits the occupation, or null: used to form aliases such as "Dr. Anna Berg". */
    static String titleFor(String occupation) {
        return switch (occupation) {
            case "physician", "surgeon", "chemist", "physicist", "economist" -> "Dr.";
            case "professor" -> "Professor";
            case "judge" -> "Judge";
            default -> null;
        };
    }
}
