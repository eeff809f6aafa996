package dev.emend.knowedit.report;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.emend.knowedit.metrics.MethodMetrics;
import dev.emend.knowedit.metrics.Protocol;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The KnowEdit-style table: methods × Edit Succ / Generalization / Portability / Locality /
 * Fluency, as Markdown or JSON. Pure: returns strings, writes nothing.
 */
public final class KnowEditTable {
    private KnowEditTable() {
    }

    /**
     * Markdown table of our rows, followed by the published rows (if any) under their own header.
     * Missing values print as "—". Numbers with two decimals.
     */
    public static String markdown(String dataset, List<MethodMetrics> ours, List<PublishedResults.Row> published) {
        StringBuilder sb = new StringBuilder();
        sb.append("| Method | Edit Succ | Generalization | Portability | Locality | Fluency | Gen. EM | n |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (MethodMetrics m : ours) {
            sb.append("| ").append(m.method())
                    .append(" | ").append(fmt(m.editSucc()))
                    .append(" | ").append(fmt(m.generalization()))
                    .append(" | ").append(fmt(m.portability()))
                    .append(" | ").append(fmt(m.locality()))
                    .append(" | ").append(fmt(m.fluency()))
                    .append(" | ").append(fmt(m.generationExactMatch()))
                    .append(" | ").append(m.n()).append(" |\n");
        }
        Set<String> protocols = new LinkedHashSet<>();
        ours.forEach(m -> protocols.add(m.method() + ": " + m.protocol().describe()));
        sb.append("\nDataset: ").append(dataset).append(". Protocol: ");
        sb.append(String.join("; ", protocols)).append(".\n");
        if (!published.isEmpty()) {
            sb.append("\nPublished reference rows — another model and data set, not comparable cell by cell: ")
                    .append(PublishedResults.MODEL).append(" on KnowEdit ").append(published.get(0).dataset())
                    .append(" (").append(PublishedResults.SOURCE).append("):\n\n");
            sb.append("| Method | Edit Succ | Generalization | Portability | Locality | Fluency |\n");
            sb.append("|---|---:|---:|---:|---:|---:|\n");
            for (PublishedResults.Row r : published) {
                sb.append("| ").append(r.method())
                        .append(" | ").append(fmt(r.editSucc()))
                        .append(" | ").append(fmt(r.generalization()))
                        .append(" | ").append(fmt(r.portability()))
                        .append(" | ").append(fmt(r.locality()))
                        .append(" | ").append(fmt(r.fluency())).append(" |\n");
            }
        }
        return sb.toString();
    }

    /**
     * JSON: {@code {"dataset": ..., "methods": {"ROME": {"edit_succ": .., "generalization": ..,
     * "portability": .., "locality": .., "fluency": .., "generation_exact_match": .., "n": ..,
     * "protocol": {...}}}, "published": {"ROME": {...}}}}. Missing values are JSON null; numbers
     * are full precision, table units.
     */
    public static String json(String dataset, List<MethodMetrics> ours, List<PublishedResults.Row> published) {
        JsonObject root = new JsonObject();
        root.addProperty("dataset", dataset);
        JsonObject methods = new JsonObject();
        for (MethodMetrics m : ours) {
            JsonObject o = metrics(m.editSucc(), m.generalization(), m.portability(), m.locality(), m.fluency());
            o.add("generation_exact_match", num(m.generationExactMatch()));
            o.addProperty("n", m.n());
            o.add("protocol", protocol(m.protocol()));
            methods.add(m.method(), o);
        }
        root.add("methods", methods);
        if (!published.isEmpty()) {
            JsonObject pub = new JsonObject();
            pub.addProperty("model", PublishedResults.MODEL);
            pub.addProperty("source", PublishedResults.SOURCE);
            JsonObject rows = new JsonObject();
            for (PublishedResults.Row r : published) {
                rows.add(r.method(), metrics(r.editSucc(), r.generalization(), r.portability(), r.locality(), r.fluency()));
            }
            pub.add("methods", rows);
            root.add("published", pub);
        }
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(root);
    }

    private static JsonObject metrics(Double es, Double gen, Double port, Double loc, Double flu) {
        JsonObject o = new JsonObject();
        o.add("edit_succ", num(es));
        o.add("generalization", num(gen));
        o.add("portability", num(port));
        o.add("locality", num(loc));
        o.add("fluency", num(flu));
        return o;
    }

    private static JsonObject protocol(Protocol p) {
        JsonObject o = new JsonObject();
        o.addProperty("scoring", p.scoring().name().toLowerCase(Locale.ROOT));
        o.addProperty("mode", p.mode().name().toLowerCase(Locale.ROOT));
        o.addProperty("scored_after", p.scoredAfter().name().toLowerCase(Locale.ROOT));
        o.addProperty("model_fingerprint", p.modelFingerprint());
        o.add("hparams", new com.google.gson.Gson().toJsonTree(p.hparams(), Map.class));
        return o;
    }

    private static com.google.gson.JsonElement num(Double d) {
        return d == null ? JsonNull.INSTANCE : new JsonPrimitive(d);
    }

    static String fmt(Double d) {
        return d == null ? "—" : String.format(Locale.ROOT, "%.2f", d);
    }

}
