package dev.emend.core.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ContextFormatTest {
    @Test
    void statementsSentencesAndNewFactLines() {
        assertEquals("The capital of France is Paris", ContextFormat.statement("The capital of France is", "Paris"));
        assertEquals("The capital of France is Paris.", ContextFormat.sentence("The capital of France is", "Paris"));
        assertEquals("New fact: A b. New fact: C d. Q", ContextFormat.withNewFacts(List.of("A b", "C d"), "Q"));
        assertEquals("Q", ContextFormat.withNewFacts(List.of(), "Q"));
    }

    @Test
    void anObjectThatEndsASentenceGetsNoSecondPeriod() {
        assertEquals("Where does Ada live? I don't know.", ContextFormat.sentence("Where does Ada live?", "I don't know."));
        assertEquals("New fact: Where does Ada live? I don't know. Where does Ada live?",
                ContextFormat.withNewFacts(List.of(ContextFormat.statement("Where does Ada live?", "I don't know.")),
                        "Where does Ada live?"));
        assertEquals("New fact: Is it? Yes! Q", ContextFormat.withNewFacts(List.of("Is it? Yes!"), "Q"));
    }

    @Test
    void documentsComeFirstEachFollowedByTheSeparator() {
        assertEquals("D1</s>D2</s>New fact: A b. Q", ContextFormat.withDocuments(List.of("D1", "D2"), "</s>", List.of("A b"), "Q"));
        assertEquals("New fact: A b. Q", ContextFormat.withDocuments(List.of(), "</s>", List.of("A b"), "Q"));
    }
}
