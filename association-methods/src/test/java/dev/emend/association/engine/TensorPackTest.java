package dev.emend.association.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TensorPackTest {
    @Test
    void roundTripsAndIsDeterministic() {
        TensorPack p = new TensorPack().put("method", "GRACE").put("eps", 2.5).tensor("key", new float[] {1, -2, 3.5f, 0}, 2, 2);
        byte[] bytes = p.toBytes();
        TensorPack q = TensorPack.fromBytes(bytes);
        assertEquals("GRACE", q.get("method"));
        assertEquals(2.5, q.getDouble("eps"));
        assertArrayEquals(new float[] {1, -2, 3.5f, 0}, q.tensor("key").values());
        assertArrayEquals(new int[] {2, 2}, q.tensor("key").shape());
        assertArrayEquals(bytes, q.toBytes());
    }

    @Test
    void refusesForeignOrTruncatedBytes() {
        assertThrows(IllegalArgumentException.class, () -> TensorPack.fromBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        byte[] ok = new TensorPack().tensor("v", new float[] {1, 2, 3}, 3).toBytes();
        assertThrows(IllegalArgumentException.class, () -> TensorPack.fromBytes(java.util.Arrays.copyOf(ok, ok.length - 2)));
        assertThrows(IllegalArgumentException.class, () -> new TensorPack().tensor("v", new float[] {1, 2}, 3));
    }
}
