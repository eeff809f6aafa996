package dev.emend.recognition.memory;

import dev.emend.core.prompt.ContextFormat;
import java.util.List;

/**
 * One IKE demonstration (Zheng et al. 2023, "Can We Edit Factual Knowledge by In-Context
 * Learning?", §3): a new fact followed by a prompt answered the way an edited model should answer.
 * <ul>
 *   <li>COPY: the fact's own prompt → the new target;</li>
 *   <li>UPDATE: a paraphrase of the prompt → the new target;</li>
 *   <li>RETAIN: an unrelated or neighbouring prompt → its unchanged true answer.</li>
 * </ul>
 * IKE and EasyEdit write them as {@code "New Fact: p o*\nPrompt: q a\n\n"}. The default model was
 * trained on exactly one other shape (editing-core's {@link ContextFormat}), so a
 * demonstration here is the training document {@code "New fact: p o*. q a."}: the same three kinds,
 * in the only format the model has learned to read (deviation from the reference, on purpose).
 */
public record Demonstration(Kind kind, String factPrompt, String factTarget, String queryPrompt, String answer) {
    public enum Kind { COPY, UPDATE, RETAIN }

    /** The new fact's statement, {@code p o*}. */
    public String statement() {
        return ContextFormat.statement(factPrompt, factTarget);
    }

    /** The demonstration as it is put in context. */
    public String text() {
        return ContextFormat.sentence(ContextFormat.withNewFacts(List.of(statement()), queryPrompt), answer);
    }

    /** What retrieval matches against: the new fact and the prompt (EasyEdit's query sentence). */
    public String retrievalText() {
        return statement() + " " + queryPrompt;
    }
}
