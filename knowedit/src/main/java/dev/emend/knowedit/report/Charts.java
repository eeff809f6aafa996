package dev.emend.knowedit.report;

import dev.emend.knowedit.metrics.MethodMetrics;
import dev.emend.knowedit.metrics.SequentialSeries;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Charts for reports, drawn with JFreeChart and written as PNG (ChartUtils). SVG is not offered:
 * JFreeSVG (org.jfree:org.jfree.svg) is not among the packages this project may use.
 *
 * <ul>
 *   <li>{@link #writeMethodBars}: per-method grouped bars over Edit Succ, Generalization,
 *       Portability, Locality (0..100, value labels); fluency (a different scale) is listed in the
 *       subtitle.</li>
 *   <li>{@link #writeSequentialLines}: for sequential runs, one panel per metric sharing the x axis
 *       "number of edits", one line per method.</li>
 * </ul>
 */
public final class Charts {
    private static final String[] METRICS = {"Edit Succ", "Generalization", "Portability", "Locality"};
    private static final List<Function<MethodMetrics, Double>> GETTERS = List.of(
            MethodMetrics::editSucc, MethodMetrics::generalization, MethodMetrics::portability, MethodMetrics::locality);
    private static final Color[] PALETTE = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    private Charts() {
    }

    /** Builds the grouped-bar chart (without writing it). */
    public static JFreeChart methodBars(String title, List<MethodMetrics> methods) {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (MethodMetrics m : methods) {
            for (int k = 0; k < METRICS.length; k++) {
                Double v = GETTERS.get(k).apply(m);
                // a missing metric stays missing (no bar) rather than being drawn as 0
                ds.addValue(v, m.method(), METRICS[k]);
            }
        }
        CategoryAxis x = new CategoryAxis();
        NumberAxis y = new NumberAxis("score (×100)");
        y.setRange(0, 105);
        BarRenderer r = new BarRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setItemMargin(0.05);
        r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("0.0")));
        r.setDefaultItemLabelsVisible(true);
        r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        for (int i = 0; i < methods.size(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        CategoryPlot plot = new CategoryPlot(ds, x, y, r);
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        StringBuilder sub = new StringBuilder("Fluency (n-gram entropy ×100): ");
        for (int i = 0; i < methods.size(); i++) {
            MethodMetrics m = methods.get(i);
            sub.append(i == 0 ? "" : ", ").append(m.method()).append(' ')
                    .append(m.fluency() == null ? "—" : String.format(Locale.ROOT, "%.1f", m.fluency()));
        }
        chart.addSubtitle(new TextTitle(sub.toString(), new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        if (!methods.isEmpty()) {
            chart.addSubtitle(new TextTitle(methods.get(0).protocol().describe(),
                    new Font(Font.SANS_SERIF, Font.ITALIC, 10)));
        }
        return chart;
    }

    /** Writes the grouped-bar chart as a PNG of the given size; returns the path. */
    public static Path writeMethodBars(Path png, String title, List<MethodMetrics> methods, int width, int height)
            throws IOException {
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("no methods to chart");
        }
        return write(png, methodBars(title, methods), width, height);
    }

    /** Builds the sequential chart: one panel per metric, x = number of edits, one line per method. */
    public static JFreeChart sequentialLines(String title, List<SequentialSeries> runs) {
        NumberAxis xAxis = new NumberAxis("number of edits");
        xAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(xAxis);
        combined.setGap(8);
        for (int k = 0; k < METRICS.length; k++) {
            XYSeriesCollection data = new XYSeriesCollection();
            for (SequentialSeries run : runs) {
                XYSeries s = new XYSeries(run.method());
                for (SequentialSeries.Point p : run.points()) {
                    Double v = GETTERS.get(k).apply(p.metrics());
                    if (v != null) {
                        s.add(p.edits(), v);
                    }
                }
                data.addSeries(s);
            }
            NumberAxis y = new NumberAxis(METRICS[k]);
            y.setRange(0, 105);
            XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
            for (int i = 0; i < runs.size(); i++) {
                r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
                r.setSeriesVisibleInLegend(i, k == 0);
            }
            XYPlot plot = new XYPlot(data, null, y, r);
            plot.setBackgroundPaint(Color.WHITE);
            plot.setRangeGridlinePaint(new Color(0xdddddd));
            plot.setDomainGridlinePaint(new Color(0xdddddd));
            combined.add(plot, 1);
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, combined, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (!runs.isEmpty() && !runs.get(0).points().isEmpty()) {
            chart.addSubtitle(new TextTitle(runs.get(0).points().get(0).metrics().protocol().describe(),
                    new Font(Font.SANS_SERIF, Font.ITALIC, 10)));
        }
        return chart;
    }

    /** Writes the sequential chart as a PNG of the given size; returns the path. */
    public static Path writeSequentialLines(Path png, String title, List<SequentialSeries> runs, int width, int height)
            throws IOException {
        if (runs.isEmpty() || runs.stream().allMatch(r -> r.points().isEmpty())) {
            throw new IllegalArgumentException("no sequential checkpoints to chart");
        }
        return write(png, sequentialLines(title, runs), width, height);
    }

    private static Path write(Path png, JFreeChart chart, int width, int height) throws IOException {
        if (width < 100 || height < 100) {
            throw new IllegalArgumentException("chart size " + width + "x" + height + " is too small; use at least 100x100");
        }
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ChartUtils.saveChartAsPNG(png.toFile(), chart, width, height);
        return png;
    }
}
