package dev.emend.recognition.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuotasTest {
    @Test
    void splitsKByLargestRemainder() {
        assertArrayEquals(new int[] {4, 12, 16}, DemonstrationRetriever.quotas(32, List.of(1.0, 3.0, 4.0)));
        assertArrayEquals(new int[] {1, 1, 2}, DemonstrationRetriever.quotas(4, List.of(1.0, 3.0, 4.0)));
        assertArrayEquals(new int[] {0, 0, 3}, DemonstrationRetriever.quotas(3, List.of(0.0, 0.0, 1.0)));
        assertArrayEquals(new int[] {0, 0, 0}, DemonstrationRetriever.quotas(0, List.of(1.0, 3.0, 4.0)));
    }
}
