package dev.emend.factworld.world;

import java.util.List;

/**
 * One kind of fact the world states, with the prompts that ask for it. Every template holds a single
 * {@code "{}"} for the subject and ends right before the object, so a prompt is scored as
 * {@code prompt + " " + object}. Question templates ({@code "What is the capital of {}?"}) are
 * scored the same way and are trained too.
 */
public record Relation(String id, String description, List<String> templates, List<String> questionTemplates) {

    public Relation {
        templates = List.copyOf(templates);
        questionTemplates = List.copyOf(questionTemplates);
    }

    /** Declarative templates first, then question templates. */
    public List<String> allTemplates() {
        var all = new java.util.ArrayList<String>(templates);
        all.addAll(questionTemplates);
        return List.copyOf(all);
    }

    /** Fills a template with the subject. */
    public static String fill(String template, String subject) {
        int at = template.indexOf("{}");
        if (at < 0) {
            throw new IllegalArgumentException("template has no {} placeholder: " + template);
        }
        return template.substring(0, at) + subject + template.substring(at + 2);
    }
}
