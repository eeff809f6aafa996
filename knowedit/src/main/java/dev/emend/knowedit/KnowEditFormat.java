package dev.emend.knowedit;

import java.util.Locale;

/** The six KnowEdit data formats (EasyEdit examples/KnowEdit.md, "The Composition of Dataset"). */
public enum KnowEditFormat {
    /** wiki_recent/recent_*.json: subject, prompt, target_new, portability, locality; ground truths [[aliases]]. */
    WIKIDATA_RECENT("recent"),
    /** ZsRE/ZsRE-test-all.json: subject, target_new, prompt, ground_truth [str], rephrase_prompt, cond, locality, portability. */
    ZSRE("zsre"),
    /** WikiBio/wikibio-*.json: text (prompt), labels (target_new), concept (subject), locality. */
    WIKIBIO("wikibio"),
    /** wiki_counterfact/*_cf.json: subject, prompt, target_new, ground_truth (str), portability, locality. */
    WIKIDATA_COUNTERFACT("counterfact"),
    /** convsent/blender_*.json: ent, pos[], neg[]. */
    CONVSENT("convsent"),
    /** Sanitation/trivia_qa_*.json: {K_F, K_R} (train) or {success, locality} (test) of {question, ground_truth, target_new}. */
    SANITATION("sanitation");

    private final String shortName;

    KnowEditFormat(String shortName) {
        this.shortName = shortName;
    }

    /** Short name, used as the case_id prefix ("counterfact/17") and accepted by {@link #parse}. */
    public String shortName() {
        return shortName;
    }

    /** Parses a short name ("zsre") or an enum name ("WIKIDATA_COUNTERFACT"), case-insensitively. */
    public static KnowEditFormat parse(String name) {
        for (KnowEditFormat f : values()) {
            if (f.shortName.equalsIgnoreCase(name) || f.name().equalsIgnoreCase(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown KnowEdit format '" + name + "'; use one of "
                + java.util.Arrays.stream(values()).map(KnowEditFormat::shortName).toList()
                + " (or leave it out to detect it from the file)");
    }

    @Override
    public String toString() {
        return shortName.toLowerCase(Locale.ROOT);
    }
}
