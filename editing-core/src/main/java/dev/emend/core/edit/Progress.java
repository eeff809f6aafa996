package dev.emend.core.edit;

/** Progress of a long computation: a stage name and the fraction done in [0, 1]. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (stage, fraction) -> { };

    void report(String stage, double fraction);
}
