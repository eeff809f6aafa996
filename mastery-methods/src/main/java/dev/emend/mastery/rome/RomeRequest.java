package dev.emend.mastery.rome;

/**
 * One fact to write, in KnowEdit field names: the prompt that states the relation (containing
 * the subject verbatim, or a {@code {}} placeholder where the subject goes), the subject, and
 * the new object. The target is read with a leading space, as it follows the prompt.
 */
public record RomeRequest(String prompt, String subject, String targetNew) {
    public RomeRequest {
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("edit request field 'prompt' is empty");
        }
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("edit request field 'subject' is empty");
        }
        if (targetNew == null || targetNew.isBlank()) {
            throw new IllegalArgumentException("edit request field 'target_new' is empty");
        }
        if (!prompt.contains("{}") && !prompt.contains(subject)) {
            throw new IllegalArgumentException("edit request: subject '" + subject + "' does not occur in prompt '"
                    + prompt + "' (ROME needs the subject's position)");
        }
    }

    /** The prompt with the subject's first occurrence replaced by {@code {}}. */
    public String promptTemplate() {
        if (prompt.contains("{}")) {
            return prompt;
        }
        int at = prompt.indexOf(subject);
        return prompt.substring(0, at) + "{}" + prompt.substring(at + subject.length());
    }

    /** The prompt with the subject in place. */
    public String filledPrompt() {
        return promptTemplate().replace("{}", subject);
    }

    /** The target as it follows the prompt: with exactly one leading space. */
    public String spacedTarget() {
        return " " + targetNew.strip();
    }
}
