package dev.emend.recognition.ike;

import dev.emend.factworld.world.ContextFormat;
import dev.emend.recognition.memory.Demonstration;
import java.util.List;

/**
 * IKE's context: the demonstrations (most similar last), then the new fact(s), then the query:
 * {@code "<demo 1><sep>...<demo k><sep>New fact: p o*. <query>"}. The separator between
 * documents is the model's end-of-text token when {@code eos} is chosen: the default model saw
 * every training document on its own, ended by end-of-text, so that is how it knows a document
 * boundary; a space is the alternative (hparam {@code demo_separator}).
 */
public final class IkePrompt {
    public static final String EOS_TEXT = "<|endoftext|>";

    private IkePrompt() {
    }

    public static String separator(String demoSeparator) {
        return "eos".equals(demoSeparator) ? EOS_TEXT : " ";
    }

    public static String build(List<Demonstration> demos, List<String> statements, String query, String separator) {
        StringBuilder sb = new StringBuilder();
        for (Demonstration d : demos) {
            sb.append(d.text()).append(separator);
        }
        return sb.append(ContextFormat.withNewFacts(statements, query)).toString();
    }
}
