package dev.emend.knowedit.metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A sequential-editing run of one method: the table row after each checkpoint, keyed by the number
 * of edits applied so far. Points are kept sorted by edit count, which must be distinct and >= 1.
 */
public record SequentialSeries(String method, List<Point> points) {

    /** The metrics after {@code edits} edits. */
    public record Point(int edits, MethodMetrics metrics) {
        public Point {
            if (edits < 1) {
                throw new IllegalArgumentException("edit count must be >= 1, got " + edits);
            }
            Objects.requireNonNull(metrics, "metrics");
        }
    }

    public SequentialSeries {
        Objects.requireNonNull(method, "method");
        List<Point> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingInt(Point::edits));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).edits() == sorted.get(i - 1).edits()) {
                throw new IllegalArgumentException(method + ": two checkpoints at " + sorted.get(i).edits() + " edits");
            }
        }
        points = List.copyOf(sorted);
    }
}
