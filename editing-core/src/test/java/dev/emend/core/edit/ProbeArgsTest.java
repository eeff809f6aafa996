package dev.emend.core.edit;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProbeArgsTest {
    @Test
    void splitsPositionalValuesAndOptionsInOrder() {
        ProbeArgs a = ProbeArgs.split(new String[] {"models/x", "--lr=5e-4", "cases.json", "--verbose", "--set=a=1;b=2", "3"});
        assertEquals(List.of("models/x", "cases.json", "3"), a.positional());
        assertEquals(List.of("lr", "verbose", "set"), List.copyOf(a.options().keySet()));
        assertEquals("5e-4", a.option("lr", "1"));
        assertEquals("true", a.option("verbose", "false"));
        assertEquals("a=1;b=2", a.option("set", ""), "only the first '=' separates key and value");
        assertEquals("10", a.option("steps", "10"));
        assertEquals("cases.json", a.get(1));
    }

    @Test
    void aRepeatedOptionKeepsItsLastValueAndAnEmptyValueStaysEmpty() {
        ProbeArgs a = ProbeArgs.split(new String[] {"--n=1", "--n=2", "--model="});
        assertEquals("2", a.option("n", "0"));
        assertEquals("", a.option("model", "dflt"));
        assertEquals(List.of(), a.positional());
    }

    @Test
    void parseWithTheRightCountReturnsTheSplit() {
        ProbeArgs a = ProbeArgs.parse(new String[] {"a", "--k=v", "b"}, 2, "T A B");
        assertEquals(List.of("a", "b"), a.positional());
        ProbeArgs r = ProbeArgs.parse(new String[] {"a", "b", "c"}, 2, 4, "T A B [C] [D]");
        assertEquals(3, r.positional().size());
    }

    @Test
    void theResultIsImmutable() {
        ProbeArgs a = ProbeArgs.split(new String[] {"x", "--k=v"});
        assertThrows(UnsupportedOperationException.class, () -> a.options().put("k", "w"));
        assertThrows(UnsupportedOperationException.class, () -> a.positional().add("y"));
    }

    @Test
    void aWrongCountThrowsTheUsageInsteadOfExiting() throws Exception {
        ProbeArgs.UsageException e = assertThrows(ProbeArgs.UsageException.class,
                () -> ProbeArgs.parse(new String[] {"a"}, 2, "T A B"));
        assertEquals("usage: T A B", e.getMessage());
        assertThrows(ProbeArgs.UsageException.class, () -> ProbeArgs.parse(new String[] {"a", "b", "c"}, 1, 2, "T A [B]"));
        List<String> seen = new ArrayList<>();
        assertFalse(ProbeArgs.run(new String[] {"a"}, args -> ProbeArgs.parse(args, 2, "T A B")));
        assertTrue(ProbeArgs.run(new String[] {"a", "b"}, args -> seen.add(ProbeArgs.parse(args, 2, "T A B").get(1))));
        assertEquals(List.of("b"), seen);
        assertThrows(IllegalStateException.class, () -> ProbeArgs.run(new String[0], args -> {
            throw new IllegalStateException("not a usage error");
        }));
    }
}
