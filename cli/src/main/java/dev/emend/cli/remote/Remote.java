package dev.emend.cli.remote;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import dev.emend.cli.stack.GatewayClient;
import dev.emend.cli.stack.StackLayout;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every command against the running gateway shares: the client ({@code $EMEND_GATEWAY_URL},
 * key from {@code $EMEND_API_KEY} or {@code .emend/admin-key}), {@code --json} (the gateway's
 * answer as it came) or a table, and the out/err streams of the command line.
 */
abstract class Remote {
    @Option(names = "--json", description = "Print the gateway's JSON answer instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    GatewayClient gateway() {
        return GatewayClient.local(new StackLayout(EmendCli.repoRoot()));
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Prints {@code answer} as indented JSON when --json was given; returns whether it did. */
    boolean printedJson(JsonElement answer) {
        if (json) {
            out().println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(answer));
            out().flush();
        }
        return json;
    }

    /** A path segment, percent-encoded. */
    static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A string member, or "-" when absent or null. */
    static String str(JsonObject o, String key) {
        return o != null && o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : "-";
    }

    /** Aligned columns: a header row, then the rows; cells longer than 60 characters are cut with "...". */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        Table row(Object... cells) {
            String[] r = new String[cells.length];
            for (int i = 0; i < cells.length; i++) {
                String c = String.valueOf(cells[i]).replace('\n', ' ');
                r[i] = c.length() > 60 ? c.substring(0, 57) + "..." : c;
            }
            rows.add(r);
            return this;
        }

        int size() {
            return rows.size() - 1;
        }

        void print(PrintWriter out) {
            int cols = rows.get(0).length;
            int[] w = new int[cols];
            for (String[] r : rows) {
                for (int i = 0; i < cols; i++) {
                    w[i] = Math.max(w[i], r[i].length());
                }
            }
            for (String[] r : rows) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < cols; i++) {
                    sb.append(i == cols - 1 ? r[i] : String.format("%-" + w[i] + "s  ", r[i]));
                }
                out.println(sb.toString().stripTrailing());
            }
            out.flush();
        }
    }
}
