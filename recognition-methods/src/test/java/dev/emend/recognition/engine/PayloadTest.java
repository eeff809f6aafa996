package dev.emend.recognition.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PayloadTest {
    @Test
    void roundTripsFactsVectorsAndSupersedes() {
        Payload p = new Payload(List.of(new Payload.Fact("People in Syria speak", "Syria", "Greek", new float[] {0.5f, -0.25f, 1e-7f})),
                List.of("e3"));
        Payload q = Payload.decode(p.encode());
        assertEquals(1, q.facts().size());
        assertEquals("Greek", q.facts().get(0).target());
        assertArrayEquals(new float[] {0.5f, -0.25f, 1e-7f}, q.facts().get(0).vector());
        assertEquals(List.of("e3"), q.supersedes());
    }

    @Test
    void refusesForeignPayloads() {
        assertThrows(IllegalArgumentException.class, () -> Payload.decode("{\"u\":[1]}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class, () -> Payload.decode(new byte[] {1, 2, 3}));
    }
}
