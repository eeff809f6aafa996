package dev.emend.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * ROME-style causal-trace heatmaps with JFreeChart: one row per token (or token kind), top to
 * bottom, one column per layer, the cell colour the value (white = low, full colour = high;
 * purple for block outputs, green for MLP, red for attention, as in ROME's figures).
 */
final class Heatmaps {
    private Heatmaps() {
    }

    /** ROME's colour per restored state. */
    static Color colour(String kind) {
        return switch (kind) {
            case "mlp" -> new Color(0x1B, 0x7A, 0x3A);
            case "attention" -> new Color(0xB2, 0x18, 0x2B);
            default -> new Color(0x54, 0x27, 0x8F);
        };
    }

    /**
     * Writes {@code grid[layer][row]} as a PNG. {@code rowLabels} label the rows (tokens, top to
     * bottom); {@code lo}/{@code hi} fix the colour scale.
     */
    static void write(Path png, String title, String subtitle, String xLabel, String scaleLabel, List<String> rowLabels,
                      double[][] grid, double lo, double hi, Color colour) throws IOException {
        int layers = grid.length;
        int rows = rowLabels.size();
        DefaultXYZDataset data = new DefaultXYZDataset();
        double[] x = new double[layers * rows];
        double[] y = new double[layers * rows];
        double[] z = new double[layers * rows];
        int i = 0;
        for (int l = 0; l < layers; l++) {
            for (int r = 0; r < rows; r++) {
                x[i] = l;
                y[i] = r;
                z[i] = grid[l][r];
                i++;
            }
        }
        data.addSeries("trace", new double[][] {x, y, z});
        NumberAxis xAxis = new NumberAxis(xLabel);
        xAxis.setTickUnit(new NumberTickUnit(1));
        xAxis.setRange(-0.5, layers - 0.5);
        xAxis.setLowerMargin(0);
        xAxis.setUpperMargin(0);
        SymbolAxis yAxis = new SymbolAxis(null, rowLabels.toArray(new String[0]));
        yAxis.setInverted(true);
        yAxis.setGridBandsVisible(false);
        yAxis.setRange(-0.5, rows - 0.5);
        yAxis.setTickLabelFont(new Font(Font.MONOSPACED, Font.PLAIN, 12));
        double top = hi > lo ? hi : lo + 1e-6;
        PaintScale scale = new Scale(lo, top, colour);
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        renderer.setBlockWidth(1);
        renderer.setBlockHeight(1);
        XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setOutlineStroke(new BasicStroke(0.5f));
        plot.setAxisOffset(new RectangleInsets(2, 2, 2, 2));
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        if (subtitle != null) {
            chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        }
        NumberAxis scaleAxis = new NumberAxis(scaleLabel);
        scaleAxis.setRange(lo, top);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
        legend.setMargin(new RectangleInsets(10, 6, 30, 6));
        legend.setStripWidth(14);
        chart.addSubtitle(legend);
        Files.createDirectories(png.toAbsolutePath().getParent());
        int width = 260 + 70 * layers;
        int height = 140 + 26 * rows;
        ChartUtils.saveChartAsPNG(png.toFile(), chart, Math.max(560, width), Math.max(320, height));
    }

    /** Tick labels: the token text quoted (spaces visible), subject tokens starred as in ROME. */
    static String tokenLabel(String token, boolean subject) {
        String t = token.replace("\n", "\\n");
        return "'" + t + "'" + (subject ? "*" : "");
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** Linear white → colour. */
    private record Scale(double lo, double hi, Color colour) implements PaintScale {
        @Override
        public double getLowerBound() {
            return lo;
        }

        @Override
        public double getUpperBound() {
            return hi;
        }

        @Override
        public Paint getPaint(double value) {
            double f = Double.isNaN(value) ? 0 : Math.max(0, Math.min(1, (value - lo) / (hi - lo)));
            int r = (int) Math.round(255 + f * (colour.getRed() - 255));
            int g = (int) Math.round(255 + f * (colour.getGreen() - 255));
            int b = (int) Math.round(255 + f * (colour.getBlue() - 255));
            return new Color(r, g, b);
        }
    }
}
