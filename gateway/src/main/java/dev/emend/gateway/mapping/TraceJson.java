package dev.emend.gateway.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.emend.api.v1.TraceGrid;
import dev.emend.api.v1.TraceResponse;

import java.util.List;
import java.util.Locale;

/**
 * JSON of {@code POST /v1/spaces/{space}/trace}: the mastery service's trace (snake_case proto
 * fields: tokens, subject span, layers, p_clean, p_corrupted, the block / mlp / attention grids as
 * rows per layer) plus {@code heatmap_svg}, the MLP grid drawn as a heatmap (layers down, tokens
 * across, subject tokens starred), so a browser shows the picture without another call.
 */
public final class TraceJson {
    /** Body of the request. */
    public record TraceRequestJson(String prompt, String subject, String target, Integer samples, Integer window) {
    }

    private TraceJson() {
    }

    public static JsonNode of(TraceResponse r, ObjectMapper json) {
        try {
            ObjectNode node = (ObjectNode) json.readTree(JsonFormat.printer().preservingProtoFieldNames()
                    .includingDefaultValueFields().print(r));
            node.put("heatmap_svg", svg(r.getMlp(), r.getTokensList(), r.getSubjectStart(), r.getSubjectEnd(),
                    "Restoring MLP output: p(" + r.getAnswer().strip() + ")"));
            return node;
        } catch (InvalidProtocolBufferException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot render the trace as JSON: " + e.getMessage(), e);
        }
    }

    /** A plain SVG heatmap: one cell per (layer, token), white (0) to purple (max), values printed. */
    static String svg(TraceGrid grid, List<String> tokens, int subjectStart, int subjectEnd, String title) {
        int cell = 44;
        int left = 150;
        int top = 40;
        int rows = grid.getRowsCount();
        double max = 1e-9;
        for (var row : grid.getRowsList()) {
            for (float v : row.getValuesList()) {
                max = Math.max(max, v);
            }
        }
        StringBuilder s = new StringBuilder();
        int width = left + rows * cell + 20;
        int height = top + tokens.size() * cell + 40;
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">", width, height));
        s.append("<text x=\"10\" y=\"20\" font-size=\"14\">").append(escape(title)).append("</text>");
        for (int t = 0; t < tokens.size(); t++) {
            boolean subject = t >= subjectStart && t < subjectEnd;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", left - 6,
                    top + t * cell + cell / 2 + 4, escape((subject ? "*" : "") + tokens.get(t).strip())));
        }
        for (int l = 0; l < rows; l++) {
            var row = grid.getRows(l);
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>", left + l * cell + cell / 2,
                    top + tokens.size() * cell + 16, row.getLayer()));
            for (int t = 0; t < row.getValuesCount(); t++) {
                double v = row.getValues(t);
                int shade = (int) Math.round(255 * (1 - Math.min(1, v / max)));
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,255)\"><title>layer %d, %s: %.3f</title></rect>",
                        left + l * cell, top + t * cell, cell - 1, cell - 1, shade, shade, row.getLayer(), escape(tokens.get(t)), v));
            }
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">layer</text>", left + rows * cell / 2,
                top + tokens.size() * cell + 32));
        s.append("</svg>");
        return s.toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
