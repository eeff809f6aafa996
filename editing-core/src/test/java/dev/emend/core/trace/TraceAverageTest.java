package dev.emend.core.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TraceAverageTest {
    @Test
    void tokenKindsFollowRomesGrouping() {
        // "The capital of| New| South| Wales| is| the| city" : subject [3,6), 9 tokens
        int[] expected = {-1, -1, -1, 0, 1, 2, 3, 4, 5};
        for (int t = 0; t < expected.length; t++) {
            assertEquals(expected[t], TraceAverage.tokenKind(t, 3, 6, 9), "token " + t);
        }
        // one-token subject counts as last subject token; first after that is also last is "last"
        assertEquals(2, TraceAverage.tokenKind(0, 0, 1, 2));
        assertEquals(5, TraceAverage.tokenKind(1, 0, 1, 2));
    }
}
