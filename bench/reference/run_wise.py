#!/usr/bin/python3
"""EasyEdit's own WISE (easyeditor.models.wise, unchanged, imported from $EASYEDIT_DIR through the
reference harness's loader) sequentially on a GPT-2-format checkpoint, CPU: the first T cases edited one
after another into one WISE memory (sequential_edit), then all T scored with Emend's metrics
(teacher-forced Edit Succ / Generalization, Locality against the unedited model's argmax).

  EASYEDIT_DIR=... /usr/bin/python3 run_wise.py MODEL CASES_JSON T LAYER [N_ITER]   (N_ITER default 40)

Settings: emend-facts-2's WISE file (layer LAYER's mlp.c_proj, save_freq 500, merge_freq 2000, margins
5 / 20 / 10, act_ratio 0.8, mask 0.2, edit_lr 1.0, TIES, retrieve). Each edit's loc_prompt (the reference
takes one irrelevant row per request) cycles through Emend's four neutral sentences (WiseEditor.IRRELEVANT).
Shims, because the harness's fake `transformers` lacks them: transformers.activations.ACT2FN (gelu_new)
and transformers.models.gpt2.modeling_gpt2.GPT2LMHeadModel (WISE.py's isinstance test for the Conv1D
layout); the harness's model has no HF generate(), so the context prefixes are given: the bare prompt
only (emend-facts-2's context_template_lengths []), or $WISE_PREFIXES, a JSON list of templates.
Limit: EasyEdit's WISE-Retrieve scores a saved shard with F.linear(x, W) on the Conv1D layout [d_ff,
d_model] and without the bias, which fails on GPT-2 once a shard is saved, so T must stay below save_freq.
"""
import os, sys, json, types, importlib
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.environ.get("HARNESS", "../shared/reference-harness"))
import numpy as np, torch
import harness_common as H
import gpt2_torch
from easyedit_loader import load_easyedit
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from side_by_side import baseline, edited_scores, predictor  # noqa: E402  (the same metrics as `side_by_side.py score`)

M, CASES, T, L = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
n_iter = int(sys.argv[5]) if len(sys.argv) > 5 else 40
H.setup_runtime(2, 0)
ns = load_easyedit(want=("memit",))
tf = sys.modules["transformers"]
# what WISE.py reads from transformers beyond the harness's fake: the GPT-2 class (isinstance -> Conv1D
# layout) and ACT2FN
act = types.ModuleType("transformers.activations")
act.ACT2FN = {"gelu_new": lambda x: 0.5 * x * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (x + 0.044715 * x ** 3)))}
sys.modules["transformers.activations"] = act
tf.activations = act
mg = types.ModuleType("transformers.models.gpt2.modeling_gpt2"); mg.GPT2LMHeadModel = gpt2_torch.GPT2LMHeadModel
g2 = types.ModuleType("transformers.models.gpt2"); g2.modeling_gpt2 = mg
mods = types.ModuleType("transformers.models"); mods.gpt2 = g2
tf.models = mods
sys.modules.update({"transformers.models": mods, "transformers.models.gpt2": g2, "transformers.models.gpt2.modeling_gpt2": mg})
wm = importlib.import_module("easyeditor.models.wise.wise_main")
wu = importlib.import_module("easyeditor.models.wise.utils")
# the harness's model has no HF generate(); the prefixes are given: the bare prompt only (Emend's
# emend-facts-2 setting, context_template_lengths []) unless WISE_PREFIXES names a JSON list of templates
wu.CONTEXT_TEMPLATES_CACHE = json.load(open(os.environ["WISE_PREFIXES"])) if os.environ.get("WISE_PREFIXES") else ["{}"]
model, tok = H.load_model_and_tokenizer(M)
tok.padding_side = "left"
if tok.pad_token_id is None:
    tok.pad_token = tok.eos_token
cases = json.load(open(CASES))[:T]
IRR = ["The weather today is", "She walked to the market and bought", "The number after seven is",
       "The river flows through the city towards"]

predict = predictor(model, tok)
base = baseline(predict, cases)
hp = wm.WISEHyperParams(edit_lr=1.0, n_iter=n_iter, objective_optimization="only_label", mask_ratio=0.2, alpha=5.0,
                        beta=20.0, gamma=10.0, act_ratio=0.8, merge_freq=2000, retrieve=True, replay=False, save_freq=500,
                        merge_alg="ties", norm_constraint=1.0, inner_params=[f"transformer.h[{L}].mlp.c_proj.weight"],
                        weights=1.0, densities=0.53, device="cpu", alg_name="WISE", model_name="gpt2-shaped:" + M)
hp.sequential_edit = True
import io, contextlib
for i, c in enumerate(cases):
    req = {"prompt": c["prompt"], "target_new": c["target_new"], "loc_prompt": IRR[i % 4]}
    with contextlib.redirect_stdout(io.StringIO()):
        editor, _ = wm.apply_wise_to_model(model, tok, [req], hp)
    if (i + 1) % 10 == 0:
        print(f"{i + 1} edits", flush=True)
if os.environ.get("WISE_TEMPLATES"):
    print(wu.CONTEXT_TEMPLATES_CACHE)
es, gen, loc = edited_scores(predict, cases, base)
print(f"| EasyEdit WISE | T = {T} | Edit Succ {es:.1f} | Generalization {gen:.1f} | Locality {loc:.1f} |")
