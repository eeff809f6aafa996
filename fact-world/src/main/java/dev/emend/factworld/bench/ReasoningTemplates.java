package dev.emend.factworld.bench;

import dev.emend.factworld.world.Relations;

/**
 * Prompts for two-hop questions used only in portability checks. They are never trained: a model
 * answers them only by composing two facts it knows.
 */
final class ReasoningTemplates {

    private ReasoningTemplates() {
    }

    static String birthContinent(boolean question) {
        return question ? "On which continent was {} born?" : "{} was born on the continent of";
    }

    static String viaCityCountry(String relation, boolean question) {
        return switch (relation) {
            case Relations.CURRENCY -> question
                    ? "Which currency is used in the city of {}?" : "The currency used in the city of {} is the";
            case Relations.CAPITAL -> question
                    ? "What is the capital of the country where {} lies?" : "The capital of the country where {} lies is";
            case Relations.CONTINENT -> question
                    ? "On which continent is the city of {}?" : "The city of {} lies on the continent of";
            default -> throw new IllegalArgumentException("no two-hop template via a city's country for " + relation);
        };
    }

    static String capitalOf(boolean question) {
        return question ? "Which country has {} as its capital?" : "{} is the capital of";
    }
}
