package dev.emend.knowedit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The locality probes that KnowEdit's Sanitation and ConvSent files do not attach to a record,
 * attached per case so that a run can score them like any other locality probe (argmax agreement
 * with the unedited model):
 * <ul>
 *   <li>Sanitation: key {@value #RETAIN}: {@link #RETAIN_PER_CASE} items of the file's retain lists
 *       ({@code K_R} / {@code locality}), the window starting at item {@code i·k} (mod n) for case
 *       i. EasyEdit's runner instead compares the generations of the whole locality list once;
 *       a per-case window keeps the cost of a case fixed.</li>
 *   <li>ConvSent: key {@value #OTHER_TOPICS}: the two following records' topics (cyclically; as
 *       EasyEdit's runner takes the next record as its "outer" topic), each asked with
 *       {@link KnowEditReader#CONVSENT_TEMPLATE} and answered with its first positive and its
 *       first negative response.</li>
 * </ul>
 * Other formats are returned unchanged.
 */
public final class TaskCases {
    public static final String RETAIN = "Retain";
    public static final String OTHER_TOPICS = "Other_Topics";
    public static final int RETAIN_PER_CASE = 8;
    public static final int OTHER_TOPICS_PER_CASE = 2;

    private TaskCases() {
    }

    public static List<EvalCase> withTaskLocality(KnowEditDataset d) {
        return switch (d.format()) {
            case SANITATION -> sanitation(d);
            case CONVSENT -> convSent(d.cases());
            default -> d.cases();
        };
    }

    private static List<EvalCase> sanitation(KnowEditDataset d) {
        List<Probe> retain = new ArrayList<>();
        d.sharedLocality().values().forEach(retain::addAll);
        if (retain.isEmpty()) {
            return d.cases();
        }
        int k = Math.min(RETAIN_PER_CASE, retain.size());
        List<EvalCase> out = new ArrayList<>();
        for (int i = 0; i < d.cases().size(); i++) {
            List<Probe> window = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                window.add(retain.get((int) (((long) i * k + j) % retain.size())));
            }
            out.add(withLocality(d.cases().get(i), RETAIN, window));
        }
        return out;
    }

    private static List<EvalCase> convSent(List<EvalCase> cases) {
        int n = cases.size();
        List<EvalCase> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Probe> probes = new ArrayList<>();
            for (int d = 1; d <= Math.min(OTHER_TOPICS_PER_CASE, n - 1); d++) {
                EvalCase other = cases.get((i + d) % n);
                String prompt = String.format(KnowEditReader.CONVSENT_TEMPLATE, other.subject());
                probes.add(new Probe(prompt, List.of(first(other, "pos"))));
                probes.add(new Probe(prompt, List.of(first(other, "neg"))));
            }
            out.add(probes.isEmpty() ? cases.get(i) : withLocality(cases.get(i), OTHER_TOPICS, probes));
        }
        return out;
    }

    private static String first(EvalCase c, String key) {
        if (!(c.extra().get(key) instanceof List<?> l) || l.isEmpty()) {
            throw new IllegalArgumentException("ConvSent case " + c.caseId() + " has no " + key + " responses");
        }
        return l.get(0).toString();
    }

    private static EvalCase withLocality(EvalCase c, String key, List<Probe> probes) {
        Map<String, List<Probe>> loc = new LinkedHashMap<>(c.locality());
        loc.put(key, probes);
        return new EvalCase(c.prompt(), c.subject(), c.targetNew(), c.groundTruth(), c.rephrasePrompts(), loc,
                c.portability(), c.caseId(), c.extra());
    }
}
