package dev.emend.factworld.world;

import java.util.List;

/**
 * The one text format for facts given in context. Training, the recognition service and
 * {@code facts-check} must all build context text through this class, or the model sees a format at
 * serving time that it never learned.
 *
 * <p>A statement is {@code prompt + " " + object} without a final period; in context each becomes
 * {@code "New fact: " + statement + ". "}, followed by the prompt to answer.
 */
public final class ContextFormat {

    public static final String NEW_FACT_PREFIX = "New fact: ";

    private ContextFormat() {
    }

    /** A filled prompt with its object: {@code "The capital of France is Paris"}. */
    public static String statement(String prompt, String object) {
        return prompt + " " + object;
    }

    /** A complete training sentence: {@code "The capital of France is Paris."}. */
    public static String sentence(String prompt, String object) {
        return prompt + " " + object + ".";
    }

    /** The prompt preceded by one {@code "New fact: "} line per statement. */
    public static String withNewFacts(List<String> statements, String prompt) {
        var text = new StringBuilder();
        for (String s : statements) {
            text.append(NEW_FACT_PREFIX).append(s).append(". ");
        }
        return text.append(prompt).toString();
    }
}
