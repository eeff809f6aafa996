#!/usr/bin/python3
"""Golden ROME and MEMIT weight deltas of the default model, produced by EasyEdit's own code.

Runs the reference harness (../shared/reference-harness: EasyEdit's unmodified ROME/MEMIT on a
GPT-2-format checkpoint, CPU) on models/emend-facts and writes
mastery-methods/src/test/resources/golden/deltas.json, which GoldenDeltasTest compares Emend's
updates with (relative Frobenius error <= 1e-4). Usage, from the repository root:

  EASYEDIT_DIR=/path/to/easyedit /usr/bin/python3 mastery-methods/src/test/reference/make_delta_fixtures.py \
      --harness ../shared/reference-harness [--scratch /tmp/emend-deltas]

Settings, identical on both sides: fact_token subject_last, the single context template "{}" (and for
a second MEMIT batch "{}" plus two fixed prefixes as two context types, MEMIT_PREFIXES),
v_num_grad_steps 20, v_lr 0.5, v_weight_decay 0.5, kl_factor 0.0625, ROME clamp_norm_factor 4 at
layer 2 (mom2 off, and on), MEMIT clamp_norm_factor 0.75, mom2_update_weight 100 at layers 1,2.
The second moment C is not a corpus statistic here but a fixed, well-conditioned matrix both sides
build from the same numbers, C = diag(d) + B B^T (d and B stored in the fixture), so that the
fixture tests the update equations and the optimisation, not corpus sampling.

Compact storage: a ROME delta is exactly u v^T (EasyEdit's left and right vectors are stored); a
MEMIT delta of n requests has rank <= n, stored as its thin SVD (U, s, V) of rank n, computed in
float64 (the reconstruction error is printed and recorded; it is ~1e-7 relative).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

REQUESTS = [
    {"prompt": "Pavel Quinn was born in", "subject": "Pavel Quinn", "target_new": "Rangoon"},
    {"prompt": "People in Syria speak", "subject": "Syria", "target_new": "Greek"},
    {"prompt": "Cochabamba is located in the country of", "subject": "Cochabamba", "target_new": "Venezuela"},
]
ROME_LAYER = 2
MEMIT_LAYERS = [1, 2]
RANK_B = 16
# A second MEMIT batch with context types, nested as EasyEdit's MEMIT takes them: the bare prompt, then
# two fixed prefixes (fixed so that both sides use the same ones). Its compute_ks averages the keys
# within each type and then over the types (the bare prompt weighs 1/2, each prefix 1/4).
MEMIT_PREFIXES = ["The capital of France is Paris. {}", "I live in Syria. {}"]
# lambda in (lambda C + K K^T): 100 rather than EasyEdit's 20000 for gpt2-xl, so that with this C both
# terms shape the update (with 20000 the K K^T term would be below float32 resolution of the sum).
MOM2_UPDATE_WEIGHT = 100.0


def run(cmd, env):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--harness", required=True)
    ap.add_argument("--scratch", default="/tmp/emend-deltas")
    ap.add_argument("--model", default="models/emend-facts")
    ap.add_argument("--out", default="mastery-methods/src/test/resources/golden/deltas.json")
    args = ap.parse_args()
    os.makedirs(args.scratch, exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    if "EASYEDIT_DIR" not in env:
        sys.exit("set EASYEDIT_DIR (see the harness README)")

    config = json.load(open(os.path.join(args.model, "config.json")))
    dff = config.get("n_inner") or 4 * config["n_embd"]
    rng = np.random.default_rng(20261206)
    d = (0.5 + rng.random(dff)).astype(np.float32)
    b = (0.1 * rng.standard_normal((dff, RANK_B))).astype(np.float32)
    c = (np.diag(d.astype(np.float64)) + b.astype(np.float64) @ b.astype(np.float64).T).astype(np.float32)
    c_path = os.path.join(args.scratch, "C.npy")
    np.save(c_path, c)
    for layer in MEMIT_LAYERS:  # run_memit.py takes one file per layer ('{}' placeholder): the same C
        np.save(os.path.join(args.scratch, "C%d.npy" % layer), c)

    req_path = os.path.join(args.scratch, "requests.json")
    json.dump(REQUESTS, open(req_path, "w"))
    tpl_path = os.path.join(args.scratch, "templates.json")
    json.dump(["{}"], open(tpl_path, "w"))
    # MEMIT takes its templates nested ([["{}"]]): the harness's flat-list path gave NaN deltas
    # (checked 2026-12-06), the nested form is what EasyEdit's MEMIT itself uses.
    tpl_memit = os.path.join(args.scratch, "templates_memit.json")
    json.dump([["{}"]], open(tpl_memit, "w"))

    py = "/usr/bin/python3"
    h = args.harness
    common = ["--model", args.model, "--requests", req_path, "--context-templates", "fixed",
              "--threads", "1", "--quiet"]
    rome = {}
    for mom2 in ("none", c_path):
        tag = "off" if mom2 == "none" else "on"
        out = os.path.join(args.scratch, "rome-" + tag)
        run([py, os.path.join(h, "run_rome.py"), *common, "--templates-file", tpl_path, "--layer", str(ROME_LAYER), "--mom2", mom2, "--out", out], env)
        edits = []
        for i in range(len(REQUESTS)):
            u = np.load(os.path.join(out, "edit_%03d_u.npy" % i)).astype(np.float32).ravel()
            v = np.load(os.path.join(out, "edit_%03d_v.npy" % i)).astype(np.float32).ravel()
            delta = np.load(os.path.join(out, "edit_%03d_delta.npy" % i))
            err = np.linalg.norm(np.outer(u, v) - delta) / np.linalg.norm(delta)
            assert err < 1e-6, "ROME delta is not u v^T: %g" % err
            edits.append({"u": u.tolist(), "v": v.tolist()})
        rome[tag] = edits

    tpl_types = os.path.join(args.scratch, "templates_memit_types.json")
    json.dump([["{}"], MEMIT_PREFIXES], open(tpl_types, "w"))
    worst = [0.0]

    def memit_batch(templates_file, name):
        out = os.path.join(args.scratch, name)
        layers_arg = ",".join(str(x) for x in MEMIT_LAYERS)
        run([py, os.path.join(h, "run_memit.py"), *common, "--templates-file", templates_file, "--layers", layers_arg,
             "--mom2-update-weight", str(MOM2_UPDATE_WEIGHT),
             "--mom2", os.path.join(args.scratch, "C{}.npy"), "--out", out], env)
        layers = []
        for layer in MEMIT_LAYERS:
            delta = np.load(os.path.join(out, "batch_000_delta_layer%d.npy" % layer)).astype(np.float64)
            uu, ss, vt = np.linalg.svd(delta, full_matrices=False)
            n = len(REQUESTS)
            recon = (uu[:, :n] * ss[:n]) @ vt[:n]
            worst[0] = max(worst[0], np.linalg.norm(recon - delta) / np.linalg.norm(delta))
            layers.append({"layer": layer, "u": uu[:, :n].T.astype(np.float32).tolist(), "s": ss[:n].tolist(),
                           "v": vt[:n].astype(np.float32).tolist()})
        return layers

    memit = memit_batch(tpl_memit, "memit")
    memit_types = memit_batch(tpl_types, "memit-types")
    commit = open(os.path.join(env["EASYEDIT_DIR"], "EASYEDIT_COMMIT")).read().strip() \
        if os.path.exists(os.path.join(env["EASYEDIT_DIR"], "EASYEDIT_COMMIT")) else "unknown"
    import torch
    fixture = {
        "about": "EasyEdit's own ROME and MEMIT (commit %s) on models/emend-facts via the reference harness, "
                 "torch %s, CPU, 1 thread; made by mastery-methods/src/test/reference/make_delta_fixtures.py" % (
                     commit, torch.__version__),
        "layout": "deltas in HF Conv1D layout [n_inner, n_embd]: ROME delta = outer(u, v); MEMIT delta = "
                  "sum_i s[i] * outer(u[i], v[i])",
        "hparams": {"fact_token": "subject_last", "context_templates": ["{}"], "v_num_grad_steps": 20,
                    "v_lr": 0.5, "v_weight_decay": 0.5, "kl_factor": 0.0625, "rome_layer": ROME_LAYER,
                    "rome_clamp_norm_factor": 4.0, "memit_layers": MEMIT_LAYERS, "memit_clamp_norm_factor": 0.75,
                    "mom2_update_weight": MOM2_UPDATE_WEIGHT},
        "requests": REQUESTS,
        "mom2": {"about": "C = diag(d) + B B^T, B stored row-major [n_inner, %d]" % RANK_B, "d": d.tolist(),
                 "b": b.ravel().tolist(), "rank": RANK_B},
        "rome_mom2_off": rome["off"],
        "rome_mom2_on": rome["on"],
        "memit": memit,
        "memit_context_types": {"context_templates": [["{}"], MEMIT_PREFIXES], "layers": memit_types},
        "memit_svd_relative_error": worst[0],
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print("wrote %s (%d bytes); MEMIT rank-%d reconstruction error %.2e" % (args.out, os.path.getsize(args.out),
                                                                         len(REQUESTS), worst[0]))


if __name__ == "__main__":
    main()
