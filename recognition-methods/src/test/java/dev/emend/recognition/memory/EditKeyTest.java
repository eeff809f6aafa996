package dev.emend.recognition.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class EditKeyTest {
    @Test
    void sameSubjectAndPromptRelationUpToCaseSpacesAndFinalPunctuation() {
        EditKey a = EditKey.of("Pavel Quinn was born in", "Pavel Quinn");
        assertEquals(new EditKey("pavel quinn", "{} was born in"), a);
        assertEquals(a, EditKey.of("pavel  quinn was Born in .", "pavel quinn"));
        assertNotEquals(a, EditKey.of("Pavel Quinn was born in the city of", "Pavel Quinn"));
        assertNotEquals(a, EditKey.of("Felix Lind was born in", "Felix Lind"));
        assertEquals(new EditKey("", "who wrote hamlet"), EditKey.of("Who wrote Hamlet?", ""));
    }
}
