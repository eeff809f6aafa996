package dev.emend.core.prompt;

import dev.emend.core.runtime.LanguageModel;
import java.util.List;

/**
 * How facts are framed in context for the in-context editing methods (IKE, ICE, SERAC-style
 * gating) and for the text that teaches a model to read them. Everything that puts a fact in
 * context builds its text here: the recognition service, the default model's training corpus and
 * {@code facts-check} (fact-world), so that the model sees at serving time the format it learned.
 *
 * <p>A statement is {@code prompt + " " + object} without a final period; in context each becomes
 * {@code "New fact: " + statement + ". "}, followed by the prompt to answer. IKE and EasyEdit write
 * {@code "New Fact: p o*\nPrompt: q a\n\n"}; this single-line shape is the one the default model
 * was trained on (a deviation from the reference, on purpose; see recognition-service/README.md).
 *
 * <p>What depends on the model family comes from the checkpoint, never from a string written
 * here: the boundary between documents is the checkpoint's own end-of-text text
 * ({@link #documentSeparator}: {@code <|endoftext|>} for GPT-2 and Emend's model,
 * {@code <|end_of_text|>} for Llama 3, {@code </s>} for Llama 2), and a BOS token is added (or not)
 * when the text is encoded, by {@link LanguageModel#encodePrompt} under the checkpoint's policy.
 */
public final class ContextFormat {

    public static final String NEW_FACT_PREFIX = "New fact: ";

    private ContextFormat() {
    }

    /** A filled prompt with its object: {@code "The capital of France is Paris"}. */
    public static String statement(String prompt, String object) {
        return prompt + " " + object;
    }

    /**
     * A complete sentence: {@code "The capital of France is Paris."}; an object that already ends
     * a sentence ({@code "I don't know."}, a biography's sentence) gets no second period.
     */
    public static String sentence(String prompt, String object) {
        return terminated(prompt + " " + object);
    }

    /** The prompt preceded by one {@code "New fact: "} line per statement. */
    public static String withNewFacts(List<String> statements, String prompt) {
        var text = new StringBuilder();
        for (String s : statements) {
            text.append(NEW_FACT_PREFIX).append(terminated(s)).append(' ');
        }
        return text.append(prompt).toString();
    }

    /** {@code s} with a final period, unless it already ends with '.', '?' or '!'. */
    static String terminated(String s) {
        return s.endsWith(".") || s.endsWith("?") || s.endsWith("!") ? s : s + ".";
    }

    /**
     * The boundary between two documents in one context (e.g. IKE's demonstrations) as this
     * checkpoint marks it: its end-of-text token's text, which its tokenizer encodes back to the
     * end-of-text id.
     *
     * @throws IllegalStateException when the checkpoint names no end-of-text token
     */
    public static String documentSeparator(LanguageModel lm) {
        return lm.eosText();
    }

    /**
     * Documents (e.g. demonstrations), each followed by {@code separator}, then the new-fact lines
     * and the prompt: {@code "<doc 1><sep>...<doc k><sep>New fact: s. ... <prompt>"}.
     */
    public static String withDocuments(List<String> documents, String separator, List<String> statements, String prompt) {
        var text = new StringBuilder();
        for (String d : documents) {
            text.append(d).append(separator);
        }
        return text.append(withNewFacts(statements, prompt)).toString();
    }
}
