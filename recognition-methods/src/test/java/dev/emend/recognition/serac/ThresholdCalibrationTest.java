package dev.emend.recognition.serac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ThresholdCalibrationTest {
    @Test
    void separableScoresGiveF1OneWithTheThresholdInTheGap() {
        List<double[]> s = List.of(new double[] {0.1, 0}, new double[] {0.2, 0}, new double[] {0.7, 1}, new double[] {0.9, 1});
        var r = ThresholdCalibration.best(s);
        assertEquals(1.0, r.f1(), 1e-12);
        assertEquals(0.45, r.threshold(), 1e-12);
    }

    @Test
    void overlappingScoresTradePrecisionForRecall() {
        List<double[]> s = List.of(new double[] {0.1, 0}, new double[] {0.5, 1}, new double[] {0.6, 0}, new double[] {0.8, 1},
                new double[] {0.9, 1});
        var r = ThresholdCalibration.best(s);
        assertTrue(r.f1() < 1);
        // Keeping all three positives with one false positive (F1 6/7) beats dropping one (F1 4/5).
        assertEquals(6.0 / 7, r.f1(), 1e-12);
        var at = ThresholdCalibration.at(s, 0.7);
        assertEquals(1.0, at.precision(), 1e-12);
        assertEquals(2.0 / 3, at.recall(), 1e-12);
    }
}
