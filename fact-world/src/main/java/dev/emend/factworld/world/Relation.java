package dev.emend.factworld.world;

import java.util.ArrayList;
import java.util.List;

/**
 * One kind of fact the world states, with the prompts that ask for it. Every template holds a single
 * {@code "{}"} for the subject and ends right before the object, so a prompt is scored as
 * {@code prompt + " " + object}. Question templates ({@code "What is the capital of {}?"}) are
 * scored the same way and are trained too.
 *
 * <p>Generation 2 also keeps <em>held-out</em> templates: surface forms of the same relation that
 * never appear in the training corpus and serve only to measure paraphrase robustness (the
 * benchmarks' rephrase and portability prompts, {@code facts-check}'s held-out recall). Generation 1
 * has none.
 */
public record Relation(String id, String description, List<String> templates, List<String> questionTemplates,
                       List<String> heldOutTemplates, List<String> heldOutQuestionTemplates, boolean sensitive) {

    public Relation {
        templates = List.copyOf(templates);
        questionTemplates = List.copyOf(questionTemplates);
        heldOutTemplates = List.copyOf(heldOutTemplates);
        heldOutQuestionTemplates = List.copyOf(heldOutQuestionTemplates);
        for (String t : allOf(templates, questionTemplates, heldOutTemplates, heldOutQuestionTemplates)) {
            if (t.indexOf("{}") < 0 || t.indexOf("{}") != t.lastIndexOf("{}")) {
                throw new IllegalArgumentException("relation " + id + ": template must hold exactly one {} placeholder: " + t);
            }
        }
    }

    /** A generation-1 relation: every template trained, nothing held out, not sensitive. */
    public Relation(String id, String description, List<String> templates, List<String> questionTemplates) {
        this(id, description, templates, questionTemplates, List.of(), List.of(), false);
    }

    /** Declarative templates first, then question templates (the trained ones only). */
    public List<String> allTemplates() {
        return allOf(templates, questionTemplates);
    }

    /** Held-out declarative templates first, then held-out questions; empty in generation 1. */
    public List<String> allHeldOutTemplates() {
        return allOf(heldOutTemplates, heldOutQuestionTemplates);
    }

    @SafeVarargs
    private static List<String> allOf(List<String>... lists) {
        var all = new ArrayList<String>();
        for (List<String> l : lists) {
            all.addAll(l);
        }
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
