package dev.emend.factworld.world;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads the committed, derived tables under {@code /world/} (see the README there for provenance). */
final class SourceTables {

    record Country(String code, String name, String continent, String capital, String currency, String language,
                   List<String> aliases) {
    }

    record City(String name, String countryCode) {
    }

    private SourceTables() {
    }

    static List<Country> countries() {
        var out = new ArrayList<Country>();
        for (String[] row : rows("/world/countries.tsv", 7)) {
            List<String> aliases = row[6].isEmpty() ? List.of() : Arrays.asList(row[6].split("\\|"));
            out.add(new Country(row[0], row[1], row[2], row[3], row[4], row[5], List.copyOf(aliases)));
        }
        return out;
    }

    static List<City> cities() {
        var out = new ArrayList<City>();
        for (String[] row : rows("/world/cities.tsv", 2)) {
            out.add(new City(row[0], row[1]));
        }
        return out;
    }

    private static List<String[]> rows(String resource, int columns) {
        InputStream in = SourceTables.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("resource " + resource + " is missing from the fact-world jar");
        }
        var rows = new ArrayList<String[]>();
        try (var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cells = line.split("\t", -1);
                if (cells.length != columns) {
                    throw new IllegalStateException(resource + " line " + lineNo + ": expected " + columns
                            + " tab-separated columns, found " + cells.length);
                }
                rows.add(cells);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
        return rows;
    }
}
