package dev.emend.knowedit.metrics;

import java.util.List;

/**
 * ConvSent metrics as EasyEdit computes them ({@code evaluate.py: compute_sent_metric},
 * {@code evaluate_utils.py: es / kl_loc_loss}, after Mitchell et al.'s SERAC sentiment task).
 *
 * <p><b>Edit success</b> ({@code es}): over all responses about the edited topic, scored as
 * {@code question + " </s> " + response},
 * <pre>
 *   pos_edit = mean log-prob of the tokens of target-sentiment responses, edited model
 *   neg_edit = mean log-prob of the tokens of opposite-sentiment responses, edited model
 *   pos_pre  = mean log-prob of the tokens of target-sentiment responses, unedited model
 *   z_sent   = sigmoid(pos_edit - neg_edit)
 *   z_topic  = min(1, exp(pos_edit - pos_pre))
 *   es       = z_sent * z_topic
 * </pre>
 * The means are token-pooled ({@code masked_mean}: sum over all masked tokens of all responses
 * divided by their count), not means of per-response means.
 *
 * <p><b>Locality</b> ({@code kl_loc_loss} with a mask): on responses about another topic, the mean
 * over answer-token positions of KL(pre || post) between the unedited and edited next-token
 * distributions. Lower is better (0 = unchanged).
 */
public final class ConvSentMetrics {
    private ConvSentMetrics() {
    }

    /** Token-pooled mean log-probability over the target tokens of several scores. */
    public static double pooledMeanLogProb(List<ScoreResult> scores) {
        long n = 0;
        double sum = 0;
        for (ScoreResult s : scores) {
            for (TokenScore t : s.tokens()) {
                sum += t.logProb();
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("no responses to average over");
        }
        return sum / n;
    }

    /** {@code es} from the three pooled means (see class comment). */
    public static double editSuccess(double posEdit, double negEdit, double posPre) {
        double zSent = 1.0 / (1.0 + Math.exp(-(posEdit - negEdit)));
        double zTopic = Math.min(1.0, Math.exp(posEdit - posPre));
        return zSent * zTopic;
    }

    /**
     * {@code es} from scores: target-sentiment and opposite-sentiment responses on the edited
     * model, and target-sentiment responses on the unedited model.
     */
    public static double editSuccess(List<ScoreResult> targetSentimentPost, List<ScoreResult> oppositeSentimentPost,
                                     List<ScoreResult> targetSentimentPre) {
        for (ScoreResult s : targetSentimentPre) {
            if (!s.version().unedited()) {
                throw new IllegalArgumentException("ConvSent pre scores must come from the unedited model; '"
                        + s.prompt() + "' was scored at sequence " + s.version().sequence());
            }
        }
        return editSuccess(pooledMeanLogProb(targetSentimentPost), pooledMeanLogProb(oppositeSentimentPost),
                pooledMeanLogProb(targetSentimentPre));
    }

    /**
     * Masked KL(pre || post): mean over positions of sum_v p_pre(v) (log p_pre(v) - log p_post(v)),
     * with p = softmax(logits). One logits row per answer-token position (the mask is the caller's
     * choice of rows).
     */
    public static double klLocality(List<float[]> preLogits, List<float[]> postLogits) {
        if (preLogits.size() != postLogits.size() || preLogits.isEmpty()) {
            throw new IllegalArgumentException("need the same, non-zero number of pre and post positions; got "
                    + preLogits.size() + " and " + postLogits.size());
        }
        double total = 0;
        for (int i = 0; i < preLogits.size(); i++) {
            double[] lp = logSoftmax(preLogits.get(i));
            double[] lq = logSoftmax(postLogits.get(i));
            if (lp.length != lq.length) {
                throw new IllegalArgumentException("position " + i + ": vocabulary sizes differ (" + lp.length
                        + " vs " + lq.length + ")");
            }
            double kl = 0;
            for (int v = 0; v < lp.length; v++) {
                kl += Math.exp(lp[v]) * (lp[v] - lq[v]);
            }
            total += kl;
        }
        return total / preLogits.size();
    }

    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp(x - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }
}
