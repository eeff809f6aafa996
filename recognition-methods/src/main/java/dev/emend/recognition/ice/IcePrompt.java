package dev.emend.recognition.ice;

import dev.emend.core.prompt.ContextFormat;
import java.util.List;

/**
 * ICE as the KnowEdit study runs it (EasyEdit's PROMPT/ICE path without demonstrations): only the
 * retrieved new fact(s) before the query. The line format is editing-core's {@link ContextFormat}
 * ({@code "New fact: p o*. "}), the one the default model was trained to follow, instead of
 * EasyEdit's instruction text, which a 5M-parameter model never saw.
 */
public final class IcePrompt {
    private IcePrompt() {
    }

    public static String build(List<String> statements, String query) {
        return ContextFormat.withNewFacts(statements, query);
    }
}
