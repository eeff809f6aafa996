package dev.emend.association.adalora;

import dev.emend.core.edit.EditException;
import dev.emend.core.edit.Hparams;
import java.util.List;

/**
 * AdaLoRA's hyperparameters, typed and checked together (each one's own range is checked by its
 * spec when the request's hparams are resolved; what involves several is checked here, and again
 * each range, so a record built from stored hparams is as safe). Names are PEFT's
 * {@code AdaLoraConfig} fields and EasyEdit's LoRA keys.
 *
 * @param layers         layers to adapt (empty = all)
 * @param targetModules  projections to adapt, EasyEdit/PEFT module names
 * @param initR          initial rank of every adapted matrix (r of the triplets trained from the start)
 * @param targetR        average rank per matrix once the budget has shrunk (≤ init_r)
 * @param tinit          warm-up steps before the budget starts shrinking
 * @param tfinal         final steps trained at the target budget with a fixed pattern
 * @param deltaT         steps between two allocations during the shrinking
 * @param beta1          EMA coefficient of the sensitivity, in (0, 1)
 * @param beta2          EMA coefficient of the uncertainty, in (0, 1)
 * @param orthRegWeight  γ of the orthogonality regulariser (≥ 0)
 * @param loraAlpha      α: the update is α/init_r · P Λ Q
 * @param lr             Adam learning rate
 * @param numSteps       T: optimiser steps of the schedule (training may stop early once the budget is final)
 * @param seed           seed of the Gaussian initialisation of P and Q
 */
public record AdaLoraHparams(List<Integer> layers, List<String> targetModules, int initR, int targetR, int tinit, int tfinal,
                             int deltaT, double beta1, double beta2, double orthRegWeight, double loraAlpha, double lr,
                             int numSteps, int seed) {
    public AdaLoraHparams {
        layers = List.copyOf(layers);
        targetModules = List.copyOf(targetModules);
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i) < 0) {
                throw bad("layers[" + i + "]", "layer " + layers.get(i) + " is negative");
            }
        }
        atLeast("init_r", initR, 1);
        atLeast("target_r", targetR, 1);
        if (targetR > initR) {
            throw bad("target_r", "target_r " + targetR + " exceeds init_r " + initR + ": the budget only shrinks; lower target_r"
                    + " or raise init_r");
        }
        atLeast("tinit", tinit, 0);
        atLeast("tfinal", tfinal, 0);
        atLeast("deltaT", deltaT, 1);
        atLeast("num_steps", numSteps, 1);
        if (tinit >= numSteps - tfinal) {
            throw bad("tinit", "tinit " + tinit + " + tfinal " + tfinal + " leave no step to shrink the budget in (num_steps "
                    + numSteps + "): need tinit < num_steps - tfinal");
        }
        openUnit("beta1", beta1);
        openUnit("beta2", beta2);
        if (!(orthRegWeight >= 0) || Double.isInfinite(orthRegWeight)) {
            throw bad("orth_reg_weight", "must be a finite number >= 0, got " + orthRegWeight);
        }
        if (!(loraAlpha > 0) || Double.isInfinite(loraAlpha)) {
            throw bad("lora_alpha", "must be a finite number > 0, got " + loraAlpha);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw bad("lr", "must be a finite number > 0, got " + lr);
        }
        atLeast("seed", seed, 0);
    }

    /** The record of resolved hparams (INVALID_ARGUMENT naming the hparam on a bad value). */
    public static AdaLoraHparams of(Hparams hp) {
        return new AdaLoraHparams(hp.getIntList("layers"), hp.getStringList("target_modules"), hp.getInt("init_r"),
                hp.getInt("target_r"), hp.getInt("tinit"), hp.getInt("tfinal"), hp.getInt("deltaT"), hp.getDouble("beta1"),
                hp.getDouble("beta2"), hp.getDouble("orth_reg_weight"), hp.getDouble("lora_alpha"), hp.getDouble("lr"),
                hp.getInt("num_steps"), hp.getInt("seed"));
    }

    /** α / init_r, PEFT's scaling (its ranknum stays init_r after masking). */
    public double scale() {
        return loraAlpha / initR;
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw bad(name, "must be >= " + min + ", got " + value);
        }
    }

    private static void openUnit(String name, double value) {
        if (!(value > 0 && value < 1)) {
            throw bad(name, "must lie strictly between 0 and 1 (an EMA coefficient), got " + value);
        }
    }

    private static EditException bad(String name, String message) {
        return EditException.invalid("hparams." + name, message);
    }
}
