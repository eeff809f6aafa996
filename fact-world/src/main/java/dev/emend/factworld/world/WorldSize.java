package dev.emend.factworld.world;

/**
 * How much of the world to build. {@code countries} caps the countries taken from the source table
 * (a seeded choice when smaller than the table), {@code cities} the non-capital cities (most
 * populous first, among the chosen countries), {@code people} the synthetic people;
 * {@code aliasesPerCountry} and {@code personAliasFraction} control alias subjects.
 */
public record WorldSize(int countries, int cities, int people, int aliasesPerCountry, double personAliasFraction) {

    /** About 2,100 facts: every complete country, 150 cities, 160 people. */
    public static final WorldSize DEFAULT = new WorldSize(Integer.MAX_VALUE, 150, 160, 1, 0.1);

    /** A few hundred facts, for tests and quick experiments. */
    public static final WorldSize SMALL = new WorldSize(60, 40, 40, 1, 0.2);

    public WorldSize {
        if (countries < 1 || cities < 0 || people < 0 || aliasesPerCountry < 0
                || personAliasFraction < 0 || personAliasFraction > 1) {
            throw new IllegalArgumentException("invalid world size: countries=" + countries + ", cities=" + cities
                    + ", people=" + people + ", aliasesPerCountry=" + aliasesPerCountry
                    + ", personAliasFraction=" + personAliasFraction + " (counts >= 0, countries >= 1, fraction in [0,1])");
        }
    }
}
