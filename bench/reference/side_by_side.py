#!/usr/bin/python3
"""Emend against EasyEdit's own MEMIT (../shared/reference-harness) on the same model, the same C
and the same cases: the two pieces the harness does not have.

  side_by_side.py c STATS.safetensors OUT.f32
      Emend's cached second moment (CovarianceCache: .cache/stats/mom2-...-layerL-....safetensors,
      tensor "mom2", d_ff x d_ff) as the raw little-endian float32 the harness's --mom2 reads.
  side_by_side.py score MODEL_DIR CASES_JSON N HARNESS_OUTDIR
      Adds the harness's batch deltas (batch_*_delta_layer{L}.npy, HF Conv1D layout [d_ff, d_model],
      what EasyEdit added to transformer.h.L.mlp.c_proj.weight) to the model and scores the first N
      KnowEdit cases with the metrics of Emend's SingleEditProbe: Edit Succ and Generalization are
      the teacher-forced token accuracy of target_new after prompt / rephrase_prompt, Locality the
      share of the locality answers' tokens whose argmax is the same as on the unedited model.
      Prints one row (x 100) and the pre-edit Edit Succ, which must equal the Java probes' figure.

Run with /usr/bin/python3 (Debian's torch) from the repository root; the harness directory comes
from $HARNESS (default ../shared/reference-harness), whose harness_common loads the model.
"""
import json
import os
import struct
import sys

import numpy as np


def to_f32(stats, out):
    raw = open(stats, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    if "mom2" not in header:
        sys.exit("%s: no tensor 'mom2' (is it an Emend second-moment file?)" % stats)
    t = header["mom2"]
    start, end = t["data_offsets"]
    dtype = {"F32": "<f4", "F64": "<f8"}.get(t["dtype"])
    if dtype is None or len(t["shape"]) != 2 or t["shape"][0] != t["shape"][1]:
        sys.exit("%s: mom2 must be a square F32/F64 matrix, got %s %s" % (stats, t["dtype"], t["shape"]))
    c = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=dtype).reshape(t["shape"])
    c.astype("<f4").tofile(out)
    print("%s: %d x %d, mean diagonal %.6f -> %s" % (stats, c.shape[0], c.shape[1], np.trace(c) / c.shape[0], out))


def predictor(model, tok):
    """predict(prompt, target) -> (teacher-forced token accuracy of target after prompt, argmax ids)."""
    import torch

    def split(prompt, target):
        p = tok(prompt)["input_ids"]
        full = tok(prompt + " " + target)["input_ids"]
        t = full[len(p):] if len(full) > len(p) and full[:len(p)] == p else tok(" " + target)["input_ids"]
        return p, t

    @torch.no_grad()
    def predict(prompt, target):
        p, t = split(prompt, target)
        x = torch.tensor([p + t])
        am = model(input_ids=x, attention_mask=torch.ones_like(x)).logits[0].argmax(-1).tolist()
        pred = am[len(p) - 1:len(p) - 1 + len(t)]
        return sum(int(a == b) for a, b in zip(pred, t)) / len(t), pred

    return predict


def locality_pairs(case):
    """The case's locality (prompt, ground truth) pairs, every kind."""
    out = []
    for items in (case.get("locality") or {}).values():
        for o in items:
            gt = o["ground_truth"]
            while isinstance(gt, list):
                gt = gt[0]
            out.append((o["prompt"], gt))
    return out


def baseline(predict, cases):
    """Per case, the unedited model's argmax ids on its locality pairs (what Locality compares with)."""
    return [[predict(p, g)[1] for p, g in locality_pairs(c)] for c in cases]


def edited_scores(predict, cases, base):
    """(Edit Succ, Generalization, Locality) x 100 on the model as it is now, as SingleEditProbe scores them."""
    import numpy as np
    es = [predict(c["prompt"], c["target_new"])[0] for c in cases]
    gen = [predict(c["rephrase_prompt"], c["target_new"])[0] if c.get("rephrase_prompt") else 0.0 for c in cases]
    loc = []
    for c, b in zip(cases, base):
        pairs = locality_pairs(c)
        if pairs:
            post = [predict(p, g)[1] for p, g in pairs]
            loc.append(np.mean([sum(int(x == y) for x, y in zip(a, bb)) / len(a) for a, bb in zip(post, b)]))
    return 100 * np.mean(es), 100 * np.mean(gen), 100 * np.mean(loc)


def score(model_dir, cases_file, n, outdir):
    import glob
    import torch
    sys.path.insert(0, os.environ.get("HARNESS", "../shared/reference-harness"))
    import harness_common as H

    torch.set_num_threads(2)
    model, tok = H.load_model_and_tokenizer(model_dir)
    cases = json.load(open(cases_file))[:n]
    params = dict(model.named_parameters())
    predict = predictor(model, tok)

    pre = [predict(c["prompt"], c["target_new"])[0] for c in cases]
    base = baseline(predict, cases)
    deltas = sorted(glob.glob(os.path.join(outdir, "batch_*_delta_layer*.npy")))
    if not deltas:
        sys.exit("%s: no batch_*_delta_layer*.npy (run the harness's run_memit.py with --out there)" % outdir)
    with torch.no_grad():
        for f in deltas:
            layer = int(f.rsplit("layer", 1)[1].split(".")[0])
            params["transformer.h.%d.mlp.c_proj.weight" % layer] += torch.from_numpy(np.load(f))
    es, gen, loc = edited_scores(predict, cases, base)
    print("| %d deltas | %d cases | Edit Succ %.1f | Generalization %.1f | Locality %.1f | pre-edit %.1f |" % (
        len(deltas), len(cases), es, gen, loc, 100 * np.mean(pre)))


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "c":
        to_f32(a[1], a[2])
    elif len(a) == 5 and a[0] == "score":
        score(a[1], a[2], int(a[3]), a[4])
    else:
        sys.exit(__doc__)
