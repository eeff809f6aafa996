package dev.emend.knowedit.report;

import java.util.List;

/**
 * Published KnowEdit numbers for Llama-2-7b-chat (Zhang et al. 2024, "A Comprehensive Study of
 * Knowledge Editing for Large Language Models", Table; reproduced in EasyEdit examples/KnowEdit.md
 * "Performence" and, for WikiData_counterfact, in shared/design/EVALUATION.md). Table units
 * (×100; fluency = n-gram entropy ×100). The paper does not list Generalization in this table,
 * so it is null. Different model (7B chat vs our models), different data: printed beside ours for
 * orientation, not as a like-for-like comparison.
 */
public final class PublishedResults {

    /** One published row. */
    public record Row(String dataset, String method, Double editSucc, Double generalization,
                      Double portability, Double locality, Double fluency) {
    }

    public static final String MODEL = "Llama-2-7b-chat";
    public static final String SOURCE = "KnowEdit (arXiv:2401.01286), EasyEdit examples/KnowEdit.md";

    private static Row r(String ds, String m, double es, double port, double loc, double flu) {
        return new Row(ds, m, es, null, port, loc, flu);
    }

    private static final List<Row> ROWS = List.of(
            r("counterfact", "SERAC", 99.99, 76.07, 98.96, 549.91),
            r("counterfact", "ICE", 69.83, 45.32, 32.38, 547.22),
            r("counterfact", "AdaLoRA", 100.00, 69.89, 70.31, 580.29),
            r("counterfact", "MEND", 80.03, 52.01, 94.38, 555.72),
            r("counterfact", "ROME", 98.57, 55.92, 51.97, 584.04),
            r("counterfact", "MEMIT", 98.05, 58.56, 46.62, 575.96),
            r("counterfact", "FT-L", 45.15, 33.60, 50.48, 528.26),
            r("counterfact", "FT-M", 100.00, 74.36, 76.76, 575.62),
            r("zsre", "SERAC", 99.67, 56.48, 30.23, 410.89),
            r("zsre", "ICE", 66.01, 63.94, 23.14, 541.14),
            r("zsre", "AdaLoRA", 100.00, 58.03, 75.76, 563.56),
            r("zsre", "MEND", 96.74, 60.41, 92.79, 524.33),
            r("zsre", "ROME", 96.77, 52.63, 53.67, 573.75),
            r("zsre", "MEMIT", 95.37, 52.67, 48.32, 563.31),
            r("zsre", "FT-L", 53.93, 45.64, 73.42, 493.01),
            r("zsre", "FT-M", 99.98, 60.31, 89.78, 552.26));

    private PublishedResults() {
    }

    /** All rows. */
    public static List<Row> all() {
        return ROWS;
    }

    /** Rows of one dataset ("counterfact" or "zsre"; case-insensitive); empty for others. */
    public static List<Row> forDataset(String dataset) {
        return ROWS.stream().filter(r -> r.dataset().equalsIgnoreCase(dataset)).toList();
    }
}
