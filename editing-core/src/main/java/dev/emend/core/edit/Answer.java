package dev.emend.core.edit;

import java.util.List;

/**
 * A model answer from one space state: the value, the prompt the method actually ran (recognition
 * methods add context), which edits it used, and notes such as TRUNCATED.
 */
public record Answer<T>(T value, String promptUsed, int promptTokens, List<String> matchedEditIds, List<Note> notes) {
    public Answer {
        matchedEditIds = matchedEditIds == null ? List.of() : List.copyOf(matchedEditIds);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }
}
