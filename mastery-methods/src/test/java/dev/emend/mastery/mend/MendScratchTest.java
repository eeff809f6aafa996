package dev.emend.mastery.mend;

import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.DefaultModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MendScratchTest {
    @Test
    void scratch() {
        int iters = Integer.getInteger("mend.iters", 200);
        double lr = Double.parseDouble(System.getProperty("mend.lr", "1e-4"));
        double editLr = Double.parseDouble(System.getProperty("mend.editlr", "1e-4"));
        double lrLr = Double.parseDouble(System.getProperty("mend.lrlr", "1e-4"));
        int rank = Integer.getInteger("mend.rank", 1920);
        try (LanguageModel lm = DefaultModel.load()) {
            MendHyperParams hp = new MendHyperParams(List.of(3, 4, 5), List.of(Projection.MLP_UP, Projection.MLP_DOWN), 1, rank,
                    "id", true, true, editLr, lr, lrLr, 1.0, 0.1, 1.0, iters, 10, 100, 42, 100, 20, "x");
            MendNetwork net = MendNetwork.initial(lm.model(), hp);
            System.out.println("params " + net.size());
            Path root = Path.of("").toAbsolutePath().getParent();
            List<MendTrainer.Case> train = MendTrainer.readCases(root.resolve("benchmarks/emend-facts/zsre-train.json"));
            List<MendTrainer.Case> val = MendTrainer.readCases(root.resolve("benchmarks/emend-facts/zsre.json")).subList(0, 20);
            MendTrainer t = new MendTrainer(lm);
            long t0 = System.nanoTime();
            t.train(net, train, val, null, java.util.Map.of(), r -> { if (r.step() % 10 == 0 || !Double.isNaN(r.valEs())) System.out.println(r.line() + " lrs " + java.util.Arrays.toString(net.editLrs())); });
            System.out.println("seconds " + (System.nanoTime() - t0) / 1e9);
        }
    }
}
