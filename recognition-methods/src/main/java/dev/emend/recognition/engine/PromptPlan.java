package dev.emend.recognition.engine;

import dev.emend.core.edit.Note;
import java.util.List;

/**
 * The prompt a query actually runs on: the text, its token count, the ledger ids of the edits put
 * in context (empty = the base model's own prompt) and notes such as TRUNCATED.
 */
public record PromptPlan(String prompt, int tokens, List<String> matchedEditIds, List<Note> notes) {
    public PromptPlan {
        matchedEditIds = List.copyOf(matchedEditIds);
        notes = List.copyOf(notes);
    }
}
