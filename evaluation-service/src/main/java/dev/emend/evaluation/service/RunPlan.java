package dev.emend.evaluation.service;

import dev.emend.api.v1.DescribeResponse;
import dev.emend.api.v1.EditMode;
import dev.emend.api.v1.EditRequest;
import dev.emend.api.v1.MethodInfo;
import dev.emend.api.v1.Phase;
import dev.emend.api.v1.ProtocolRecord;
import dev.emend.api.v1.RunRequest;
import dev.emend.api.v1.ScoreSchedule;
import dev.emend.api.v1.Target;
import dev.emend.knowedit.KnowEditFormat;

import java.util.List;

/**
 * A validated run request with every default resolved: the cases (loaded, shuffled, limited), the
 * targets with the phase service's description, and the protocol that will be recorded. {@code task}
 * is the format the data set was read as (null for inline cases): Sanitation, ConvSent and WikiBio
 * cases get their task metrics ({@link CaseScorer}).
 */
public record RunPlan(RunRequest request, String datasetName, List<EditRequest> cases, List<TargetPlan> targets,
                      EditMode mode, int batchSize, List<Integer> checkpoints, ScoreSchedule schedule,
                      boolean generated, boolean fluency, int fluencyTotalTokens, int fluencyTopK,
                      ProtocolRecord protocol, KnowEditFormat task) {

    /** One target: a method in a phase (edits applied to scratch spaces) or an existing space. */
    public record TargetPlan(int index, Target target, Phase phase, String method, String space, String label,
                             MethodInfo methodInfo, DescribeResponse service) {
        public boolean appliesEdits() {
            return space.isEmpty();
        }
    }

    public boolean afterEach() {
        return schedule == ScoreSchedule.SCORE_SCHEDULE_AFTER_EACH_EDIT || schedule == ScoreSchedule.SCORE_SCHEDULE_BOTH;
    }

    public boolean afterAll() {
        return schedule == ScoreSchedule.SCORE_SCHEDULE_AFTER_ALL_EDITS || schedule == ScoreSchedule.SCORE_SCHEDULE_BOTH;
    }

    public long casesTotal() {
        return (long) cases.size() * targets.size();
    }
}
