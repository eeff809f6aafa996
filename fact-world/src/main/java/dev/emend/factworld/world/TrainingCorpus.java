package dev.emend.factworld.world;

import java.util.List;

/**
 * The texts the default language model is trained on, one short document each; the trainer puts the
 * end-of-text token between documents. In this order: plain fact sentences
 * ({@code "The capital of France is Paris."}); in generation 2, biographies (several sentences about
 * one person) and profiles (two or three facts of one subject in one document); in-context update
 * examples (a {@code "New fact: "} line followed by a prompt answered with the new object) and
 * irrelevant-context examples (a new fact about something else, then a prompt answered with the true
 * object). Every answer is the object after a single space, followed by a period.
 */
public record TrainingCorpus(List<String> documents, int factSentences, int biographies, int profiles,
                             int inContextExamples, int irrelevantContextExamples) {

    public TrainingCorpus {
        documents = List.copyOf(documents);
    }

    /** A generation-1 corpus: no biographies or profiles. */
    public TrainingCorpus(List<String> documents, int factSentences, int inContextExamples, int irrelevantContextExamples) {
        this(documents, factSentences, 0, 0, inContextExamples, irrelevantContextExamples);
    }

    /** The documents that are the same every epoch (sentences, biographies, profiles): the corpus' first ones. */
    public int fixedDocuments() {
        return factSentences + biographies + profiles;
    }
}
