package dev.emend.recognition.serac;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Picks the scope gate's threshold that maximises F1 of "in scope" over labelled scores
 * ({@code {score, label}} with label 1 = the query is about a stored edit). Candidates are the
 * midpoints between consecutive distinct scores; among equally good ones, the middle of the best
 * run (the widest margin either side).
 */
public final class ThresholdCalibration {
    public record Result(double threshold, double f1, double precision, double recall) {}

    private ThresholdCalibration() {
    }

    public static Result best(List<double[]> scored) {
        List<double[]> s = new ArrayList<>(scored);
        s.sort(Comparator.comparingDouble(a -> a[0]));
        List<Double> candidates = new ArrayList<>();
        candidates.add(s.isEmpty() ? 0.5 : s.get(0)[0] - 1e-6);
        for (int i = 1; i < s.size(); i++) {
            if (s.get(i)[0] > s.get(i - 1)[0]) {
                candidates.add((s.get(i)[0] + s.get(i - 1)[0]) / 2);
            }
        }
        double bestF1 = -1;
        int first = 0;
        int last = 0;
        for (int i = 0; i < candidates.size(); i++) {
            double f1 = at(s, candidates.get(i)).f1();
            if (f1 > bestF1 + 1e-12) {
                bestF1 = f1;
                first = i;
                last = i;
            } else if (Math.abs(f1 - bestF1) <= 1e-12 && last == i - 1) {
                last = i;
            }
        }
        return at(s, candidates.get((first + last) / 2));
    }

    /** F1, precision and recall of "score ≥ threshold" as the in-scope decision. */
    public static Result at(List<double[]> scored, double threshold) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (double[] x : scored) {
            boolean in = x[0] >= threshold;
            boolean pos = x[1] > 0.5;
            if (in && pos) {
                tp++;
            } else if (in) {
                fp++;
            } else if (pos) {
                fn++;
            }
        }
        double p = tp + fp == 0 ? 1 : (double) tp / (tp + fp);
        double r = tp + fn == 0 ? 1 : (double) tp / (tp + fn);
        double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
        return new Result(threshold, f1, p, r);
    }
}
