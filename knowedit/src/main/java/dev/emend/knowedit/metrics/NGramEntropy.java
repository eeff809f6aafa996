package dev.emend.knowedit.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fluency as EasyEdit measures it ({@code evaluate_utils.py: n_gram_entropy / compute_n_gram_entropy
 * / compute_freq}, inherited from ROME's generation test):
 * <pre>
 *   tokens   = word_tokenize(text)
 *   H_n      = -sum_g f(g) log2 f(g)      over the n-grams g of tokens, f = relative frequency
 *   fluency  = mean(2/3 * H_2, 4/3 * H_3) = H_2/3 + 2*H_3/3      (ns = [2, 3], weights = [2/3, 4/3],
 *                                                              agg = "arith")
 *   n_gram_entropy(texts) = arithmetic mean of fluency over texts
 * </pre>
 * Verified against EasyEdit's code: {@code ns = [2, 3]}, {@code weights = [2 / 3, 4 / 3]}, the
 * weighted entropies are averaged with {@code np.mean}. KnowEdit tables print it ×100 (e.g. 584.04
 * = 5.8404 bits).
 *
 * <p>Deviation: EasyEdit tokenizes with {@code nltk.word_tokenize} (Punkt sentence split + Treebank
 * word tokenizer). We use a Treebank-like rule set without the sentence model: words split on
 * whitespace; leading quotes/brackets and trailing punctuation {@code . , ; : ! ? ) ] } " '} split
 * off as tokens; clitics {@code 's 're 've 'll 'd 'm n't} split off. A trailing period stays on
 * tokens with an inner period ("U.S."), like NLTK's abbreviation handling for that case; other
 * abbreviations ("Mr.") are split where NLTK would keep them. For generated text this changes the
 * n-gram counts only around such abbreviations.
 */
public final class NGramEntropy {
    /** EasyEdit's n-gram orders. */
    public static final int[] NS = {2, 3};
    /** EasyEdit's weights for the bigram and trigram entropies. */
    public static final double[] WEIGHTS = {2.0 / 3.0, 4.0 / 3.0};

    private static final Pattern CLITIC = Pattern.compile("(?i)^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$");
    private static final String LEADING = "\"'([{`";
    private static final String TRAILING = ".,;:!?)]}\"'";

    private NGramEntropy() {
    }

    /** Word tokens of a text (see class comment for the rules). */
    public static List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.trim().split("\\s+")) {
            if (w.isEmpty()) {
                continue;
            }
            List<String> lead = new ArrayList<>();
            while (!w.isEmpty() && LEADING.indexOf(w.charAt(0)) >= 0 && w.length() > 1) {
                lead.add(w.substring(0, 1));
                w = w.substring(1);
            }
            List<String> trail = new ArrayList<>();
            while (w.length() > 1 && TRAILING.indexOf(w.charAt(w.length() - 1)) >= 0) {
                char c = w.charAt(w.length() - 1);
                if (c == '.' && w.substring(0, w.length() - 1).contains(".")) {
                    break; // "U.S." keeps its period
                }
                trail.add(0, String.valueOf(c));
                w = w.substring(0, w.length() - 1);
            }
            out.addAll(lead);
            Matcher m = CLITIC.matcher(w);
            if (m.matches()) {
                out.add(m.group(1));
                out.add(m.group(2));
            } else if (!w.isEmpty()) {
                out.add(w);
            }
            out.addAll(trail);
        }
        return out;
    }

    /** Shannon entropy in bits of the n-gram distribution of the tokens; 0 when there are fewer than n tokens. */
    public static double entropy(List<String> tokens, int n) {
        Map<List<String>, Integer> freq = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            freq.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        int total = freq.values().stream().mapToInt(Integer::intValue).sum();
        double h = 0;
        for (int c : freq.values()) {
            double f = (double) c / total;
            h -= f * Math.log(f) / Math.log(2);
        }
        return h;
    }

    /** EasyEdit's {@code compute_n_gram_entropy} of one text, in bits (not ×100). */
    public static double of(String text) {
        List<String> tokens = tokenize(text);
        double sum = 0;
        for (int k = 0; k < NS.length; k++) {
            sum += WEIGHTS[k] * entropy(tokens, NS[k]);
        }
        return sum / NS.length;
    }

    /** EasyEdit's {@code n_gram_entropy(gen_texts)}: arithmetic mean over texts, in bits. */
    public static double mean(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("fluency needs at least one generated text");
        }
        return texts.stream().mapToDouble(NGramEntropy::of).average().orElseThrow();
    }
}
