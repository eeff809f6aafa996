package dev.emend.knowedit;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fully read KnowEdit file.
 *
 * @param file           the file read
 * @param format         its format (detected or given)
 * @param cases          the edit cases, in file order
 * @param sharedLocality locality probes that belong to the whole file rather than to one case:
 *                       Sanitation's {@code locality} (test) or {@code K_R} (train) list, which
 *                       EasyEdit scores once per run against the pre-edit generations. Empty for
 *                       the other formats.
 */
public record KnowEditDataset(Path file, KnowEditFormat format, List<EvalCase> cases,
                              Map<String, List<Probe>> sharedLocality) {
    public KnowEditDataset {
        cases = List.copyOf(cases);
        Map<String, List<Probe>> copy = new LinkedHashMap<>();
        sharedLocality.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        sharedLocality = Collections.unmodifiableMap(copy);
    }

    public int size() {
        return cases.size();
    }
}
