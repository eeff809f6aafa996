package dev.emend.recognition.memory;

import java.util.Locale;

/**
 * What makes two edits "about the same fact" for supersession: the same subject and the same
 * prompt relation.
 *
 * <ul>
 *   <li>subject: the request's subject, trimmed, whitespace collapsed, lower-cased;</li>
 *   <li>relation: the prompt with its first occurrence of the subject replaced by {@code {}}, then
 *       trimmed, whitespace collapsed, lower-cased and stripped of final punctuation
 *       ({@code "Pavel Quinn was born in"} → {@code "{} was born in"}). Without a subject the
 *       whole normalised prompt is the relation.</li>
 * </ul>
 *
 * So a later edit of {@code "Pavel Quinn was born in"} supersedes an earlier one of the same
 * prompt, and {@code "pavel quinn was born in "} too; a paraphrase with another template
 * ({@code "Pavel Quinn's birthplace is"}) is a different relation and does not supersede: both stay
 * live and retrieval decides which is put in context (newest last). Deliberately literal: a fuzzy
 * relation match could silently drop a live edit the user still wants.
 */
public record EditKey(String subject, String relation) {

    public static EditKey of(String prompt, String subject) {
        String s = normalise(subject == null ? "" : subject);
        String p = normalise(prompt == null ? "" : prompt);
        int at = s.isEmpty() ? -1 : p.indexOf(s);
        String relation = at >= 0 ? p.substring(0, at) + "{}" + p.substring(at + s.length()) : p;
        relation = relation.replaceAll("[\\s.?!:;,]+$", "");
        return new EditKey(s, relation);
    }

    private static String normalise(String text) {
        return text.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    /** One string for storing in an index field. */
    public String asString() {
        return subject + "\u0001" + relation;
    }
}
