package dev.emend.recognition.ike;

import dev.emend.core.prompt.ContextFormat;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.recognition.memory.Demonstration;
import java.util.List;

/**
 * IKE's context: the demonstrations (most similar last), then the new fact(s), then the query:
 * {@code "<demo 1><sep>...<demo k><sep>New fact: p o*. <query>"}. The separator between
 * documents is the model's end-of-text token when {@code eos} is chosen: the default model saw
 * every training document on its own, ended by end-of-text, so that is how it knows a document
 * boundary; a space is the alternative (hparam {@code demo_separator}). The end-of-text text is the
 * checkpoint's own ({@link ContextFormat#documentSeparator}: {@code <|endoftext|>} for GPT-2 and
 * Emend's model, {@code <|end_of_text|>} for Llama-3, {@code </s>} for Llama-2), which its tokenizer
 * encodes back to the end-of-text id. The framing itself is editing-core's {@link ContextFormat}.
 */
public final class IkePrompt {
    private IkePrompt() {
    }

    public static String separator(String demoSeparator, LanguageModel lm) {
        return "eos".equals(demoSeparator) ? ContextFormat.documentSeparator(lm) : " ";
    }

    public static String build(List<Demonstration> demos, List<String> statements, String query, String separator) {
        return ContextFormat.withDocuments(demos.stream().map(Demonstration::text).toList(), separator, statements, query);
    }
}
