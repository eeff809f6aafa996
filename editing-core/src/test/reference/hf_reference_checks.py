"""Self-checks of hf_reference.py (run: python3 hf_reference.py --self-check). Each check prints one
line with its measured number and fails (exit 1) past its bound. See README.md for what they show."""

import filecmp
import json
import os
import sys
import tempfile
from collections import OrderedDict

import torch

import hf_reference as R

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden")
HARNESS = "/work/shared/reference-harness"
FAILURES = []


def report(name, value, bound, greater=False):
    ok = value > bound if greater else value <= bound
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {value:.3g} ({'>' if greater else '<='} {bound:g})")
    if not ok:
        FAILURES.append(name)


def load(case):
    cfg, W = R.read_checkpoint(os.path.join(GOLDEN, case))
    with open(os.path.join(GOLDEN, case, "golden.json")) as f:
        return cfg, R.upcast(W), json.load(f)


def logprobs(cfg, W, ids, mask=None):
    return torch.log_softmax(R.logits_of(cfg, W, ids, mask), dim=-1)


def max_diff_real(a, b, mask):
    m = mask.bool()
    return float((a - b).abs()[m].max())


def check_files_reproduce():
    """Regenerating every case gives byte-identical files to the committed ones."""
    with tempfile.TemporaryDirectory() as tmp:
        diffs = 0
        for name in R.CASES:
            R.build_case(name, tmp, verbose=False)
            for fn in sorted(os.listdir(os.path.join(GOLDEN, name))):
                if not filecmp.cmp(os.path.join(tmp, name, fn), os.path.join(GOLDEN, name, fn), shallow=False):
                    print(f"     differs: {name}/{fn}")
                    diffs += 1
        report("regenerated files differing from the committed ones", diffs, 0)


def check_case(name):
    cfg, W, golden = load(name)
    cases = {c["name"]: c for c in golden["cases"]}
    # 1. Golden values equal a recomputation from the files (JSON rounding to 1e-6 only).
    worst = 0.0
    for c in golden["cases"]:
        ids, mask = torch.tensor(c["input_ids"]), torch.tensor(c["attention_mask"])
        lp = logprobs(cfg, W, ids, mask)
        t0 = c.get("next_logprobs_from", 0)
        for b, row in enumerate(c["next_logprobs"]):
            for j, v in enumerate(row):
                if v is not None:
                    t = t0 + j
                    worst = max(worst, abs(v - float(lp[b, t, ids[b, t + 1]])))
    report(f"{name}: stored next_logprobs vs recomputation", worst, 1e-6)

    # 2. Padded batch rows equal each row alone (left and right padding).
    for cname in ("batch-left-padded", "batch-right-padded"):
        c = cases[cname]
        ids, mask = torch.tensor(c["input_ids"]), torch.tensor(c["attention_mask"])
        lp = logprobs(cfg, W, ids, mask)
        worst = 0.0
        for b in range(ids.shape[0]):
            real = mask[b].bool()
            alone = logprobs(cfg, W, ids[b][real][None])[0]
            worst = max(worst, float((lp[b][real] - alone).abs().max()))
        report(f"{name}: {cname} rows vs the same rows alone", worst, 2e-5)

    # 3. Causality: logits at position t of the whole sequence = last logits of the prefix [0..t].
    row = cases["single"]["input_ids"][0]
    full = logprobs(cfg, W, torch.tensor([row]))[0]
    worst = max(float((full[t] - logprobs(cfg, W, torch.tensor([row[:t + 1]]))[0, -1]).abs().max())
                for t in range(len(row)))
    report(f"{name}: whole sequence vs growing prefixes (stepwise)", worst, 2e-5)

    # 4. Greedy: one teacher-forced pass over prompt + greedy tokens has its argmax on the greedy
    #    tokens, and the longest case's 8 greedy steps.
    bad = 0
    for c in golden["cases"]:
        for b, g in enumerate(c["greedy"]):
            real = [t for t, m in zip(c["input_ids"][b], c["attention_mask"][b]) if m]
            seq = real + g
            lg = R.logits_of(cfg, W, torch.tensor([seq]))[0]
            pred = lg[len(real) - 1:-1].argmax(-1).tolist()
            bad += int(pred != g)
    report(f"{name}: greedy rows not reproduced by one teacher-forced pass", bad, 0)

    # 5. fp32 noise: the same goldens computed in float64 (rotary angles still fp32, as HF).
    W64 = R.upcast(W, torch.float64)
    worst = 0.0
    for c in golden["cases"]:
        ids, mask = torch.tensor(c["input_ids"]), torch.tensor(c["attention_mask"])
        if ids.shape[1] > 1000:
            continue
        a, b64 = logprobs(cfg, W, ids, mask), logprobs(cfg, W64, ids, mask)
        worst = max(worst, max_diff_real(a.double(), b64, mask))
    report(f"{name}: fp32 vs fp64 computation, max |d log-prob|", worst, 1e-5)
    return cfg, W, golden


def sensitivity(name, what, mutate_cfg=None, mutate_w=None, case=None, patch=None):
    """The goldens move by far more than the Java tolerance (1e-4) if a family feature is dropped."""
    cfg, W, golden = load(name)
    cfg2 = json.loads(json.dumps(cfg))
    W2 = OrderedDict(W)
    if mutate_cfg:
        mutate_cfg(cfg2)
    if mutate_w:
        mutate_w(W2)
    inputs = [(torch.tensor(c["input_ids"]), torch.tensor(c["attention_mask"]))
              for c in golden["cases"] if not case or c["name"] == case]
    base = [logprobs(cfg, W, ids, mask) for ids, mask in inputs]
    saved = {k: getattr(R, k) for k in (patch or {})}
    for k, v in (patch or {}).items():
        setattr(R, k, v)
    try:
        changed = [logprobs(cfg2, W2, ids, mask) for ids, mask in inputs]
    finally:
        for k, v in saved.items():
            setattr(R, k, v)
    worst = max(max_diff_real(a, b, m) for a, b, (_, m) in zip(base, changed, inputs))
    report(f"{name}: max |d log-prob| if {what}", worst, 1e-2, greater=True)


def check_sensitivities():
    def set_(**kv):
        return lambda c: c.update(kv)

    def zero(key):
        return lambda W: W.__setitem__(key, torch.zeros_like(W[key]))

    sensitivity("qwen2-fp32", "relabelled llama (q/k/v biases dropped)", set_(model_type="llama"))
    sensitivity("qwen2-fp32", "use_sliding_window were honoured as true", set_(use_sliding_window=True, max_window_layers=0),
                case="long-300")
    sensitivity("qwen3-fp32", "relabelled llama (q_norm/k_norm dropped)", set_(model_type="llama"))
    sensitivity("mistral-fp32", "relabelled llama (sliding window dropped)", set_(model_type="llama"), case="long-300")
    sensitivity("mistral-fp32", "window were q-k <= sliding_window (off by one)", set_(sliding_window=65), case="long-300")
    sensitivity("llama3-fp32", "rope_scaling llama3 ignored", set_(rope_scaling=None))
    sensitivity("llama3-fp32", "rope_theta 10000 instead of 500000", set_(rope_theta=10000.0))
    sensitivity("gptj-fp32", "rotary over the whole head (rotary_dim ignored)", set_(rotary_dim=None))
    sensitivity("gptj-fp32", "rotate_half in place of rotate_every_two (pairs (i, i+d/2) instead of (2i, 2i+1))", patch={"rotate_every_two": R.rotate_half})
    sensitivity("gptj-fp32", "lm_head.bias ignored", mutate_w=zero("lm_head.bias"))
    sensitivity("gpt2-fp32", "position ids were arange instead of cumsum(mask)-1", case="batch-left-padded",
                patch={"position_ids_from_mask": lambda m: torch.arange(m.shape[1])[None].expand_as(m)})
    sensitivity("llama2-fp32", "rms_norm_eps were 1e-6 for 1e-5", set_(rms_norm_eps=1e-6))


def check_gpt2_against_harness():
    """The shared GPT-2 harness (a separate GPT-2 written for the EasyEdit runs) on our gpt2 checkpoint."""
    if not os.path.exists(os.path.join(HARNESS, "gpt2_torch.py")):
        print(f"skip GPT-2 cross-check: {HARNESS}/gpt2_torch.py not present")
        return
    sys.path.insert(0, HARNESS)
    import gpt2_torch
    for name in ("gpt2-fp32", "gpt2-hub-layout-fp32"):
        cfg, W, golden = load(name)
        model = gpt2_torch.GPT2LMHeadModel.from_pretrained(os.path.join(GOLDEN, name)).eval()
        worst = 0.0
        with torch.no_grad():
            for c in golden["cases"]:
                ids, mask = torch.tensor(c["input_ids"]), torch.tensor(c["attention_mask"])
                theirs = torch.log_softmax(model(ids, attention_mask=mask, position_ids=R.position_ids_from_mask(mask)).logits, -1)
                worst = max(worst, max_diff_real(logprobs(cfg, W, ids, mask), theirs, mask))
        report(f"{name}: this reference vs reference-harness/gpt2_torch.py", worst, 1e-5)
    # and its independent safetensors reader reads our writer's files to the same tensors
    theirs, _ = gpt2_torch.read_safetensors(os.path.join(GOLDEN, "gpt2-fp32", "model.safetensors"))
    ours = R.read_safetensors(os.path.join(GOLDEN, "gpt2-fp32", "model.safetensors"))
    same = set(theirs) == set(ours) and all(torch.equal(theirs[k], ours[k]) for k in ours)
    report("gpt2-fp32: tensors differing between the two safetensors readers", 0 if same else 1, 0)


def check_storage():
    """bf16/fp16 checkpoints hold exactly the fp32 weights rounded; shards hold every tensor once."""
    for name in ("llama3-bf16-sharded", "qwen2-bf16", "llama2-fp16"):
        spec = R.CASES[name]
        cfg, W = R.read_checkpoint(os.path.join(GOLDEN, name))
        ref = R.random_weights(cfg, cfg["vocab_size"], spec["seed"])
        dt = R._DTYPE_NAME[spec["dtype"]]
        bad = sum(1 for k in ref if W[k].dtype != dt or not torch.equal(W[k], ref[k].to(dt)))
        report(f"{name}: tensors not equal to the seeded fp32 weights rounded to {spec['dtype']}", bad + len(set(W) ^ set(ref)), 0)
    with open(os.path.join(GOLDEN, "llama3-bf16-sharded", "model.safetensors.index.json")) as f:
        wm = json.load(f)["weight_map"]
    report("llama3-bf16-sharded: shard files other than 2", abs(len(set(wm.values())) - 2), 0)


def check_hub_layout():
    """The Hub-layout Llama-2 checkpoint loads (prefix/buffer handling as from_pretrained) to exactly
    the tensors of its save_pretrained twin, so their goldens are identical."""
    _, a = R.read_checkpoint(os.path.join(GOLDEN, "llama2-hub-layout-fp32"))
    _, b = R.read_checkpoint(os.path.join(GOLDEN, "llama2-fp32"))
    same = set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
    report("llama2-hub-layout-fp32: tensors differing from llama2-fp32 after loading", 0 if same else 1, 0)
    with open(os.path.join(GOLDEN, "llama2-hub-layout-fp32", "golden.json")) as f:
        ga = json.load(f)["cases"]
    with open(os.path.join(GOLDEN, "llama2-fp32", "golden.json")) as f:
        gb = json.load(f)["cases"]
    report("llama2-hub-layout-fp32: golden cases differing from llama2-fp32's", sum(x != y for x, y in zip(ga, gb)), 0)


def run_all():
    torch.set_num_threads(1)
    check_storage()
    check_gpt2_against_harness()
    check_hub_layout()
    for name in R.CASES:
        check_case(name)
    check_sensitivities()
    check_files_reproduce()
    print(f"{len(FAILURES)} failed" + (": " + ", ".join(FAILURES) if FAILURES else ""))
    return 1 if FAILURES else 0
