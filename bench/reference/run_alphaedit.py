#!/usr/bin/python3
"""EasyEdit's own AlphaEdit (easyeditor.models.alphaedit.AlphaEdit_main, unchanged, imported from
$EASYEDIT_DIR through the reference harness's loader) sequentially in batches on a GPT-2-format
checkpoint, CPU, with a given C (side_by_side.py c) for its null space and nothing else: its
get_project, compute_z, compute_ks, cache_c and solve run as published. After each checkpoint count
it writes OUT/at{N}/batch_000_delta_layer{L}.npy = W_now - W_0 (all edits so far), which
side_by_side.py score scores on the first N cases.

  EASYEDIT_DIR=... /usr/bin/python3 run_alphaedit.py MODEL REQUESTS C.f32 LAYER N BATCH THRESHOLD L2 \
      CHECKPOINTS OUT [STEPS V_LR V_WEIGHT_DECAY CLAMP]      (defaults 100 1.0 1e-3 4)

REQUESTS: [{prompt, subject, target_new}]; OUT is made the working directory (EasyEdit saves its P
there as null_space_project.pt; a stale one is removed first). $HARNESS: ../shared/reference-harness.
"""
import os, sys, json, importlib
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.environ.get("HARNESS", "../shared/reference-harness"))
import numpy as np, torch
import harness_common as H
from easyedit_loader import load_easyedit

if len(sys.argv) < 11:
    sys.exit(__doc__)
M, REQ, CF, L, N, B, T, L2, CK, OUT = sys.argv[1:11]
M, REQ, CF, OUT = (os.path.abspath(x) for x in (M, REQ, CF, OUT))  # it works inside OUT
steps, lr, wd, clamp = (sys.argv[11:15] + ["100", "1.0", "1e-3", "4"][len(sys.argv[11:15]):])
L, N, B = int(L), int(N), int(B)
checkpoints = {int(x) for x in CK.split(",")}
H.setup_runtime(2, 0)
ns = load_easyedit(want=("memit",))
am = importlib.import_module("easyeditor.models.alphaedit.AlphaEdit_main")
model, tok = H.load_model_and_tokenizer(M)
reqs = H.load_requests(REQ)[:N]
n_layer = model.config.n_layer
os.makedirs(OUT, exist_ok=True)
os.chdir(OUT)
if os.path.exists("null_space_project.pt"):
    os.remove("null_space_project.pt")
hp = am.AlphaEditHyperParams(
    layers=[L], layer_selection="all", fact_token="subject_last", v_num_grad_steps=int(steps), v_lr=float(lr),
    v_loss_layer=n_layer - 1, v_weight_decay=float(wd), clamp_norm_factor=float(clamp), kl_factor=0.0625,
    mom2_adjustment=True, mom2_update_weight=100.0,
    rewrite_module_tmp="transformer.h.{}.mlp.c_proj", layer_module_tmp="transformer.h.{}",
    mlp_module_tmp="transformer.h.{}.mlp", attn_module_tmp="transformer.h.{}.attn", ln_f_module="transformer.ln_f",
    lm_head_module="transformer.wte", mom2_dataset="wikipedia", mom2_n_samples=100000, mom2_dtype="float32",
    nullspace_threshold=float(T), L2=float(L2), alg_name="AlphaEdit", device="cpu",
    model_name="gpt2-xl-shaped:" + M,  # EasyEdit picks the [d_ff, d_ff] P / cache_c layout by the name "gpt2-xl"
    stats_dir="./stats", P_loc="./null_space_project.pt", max_length=40, batch_size=B, model_parallel=False)
wname = hp.rewrite_module_tmp.format(L) + ".weight"
W = ns.nethook.get_parameter(model, wname)
d = W.shape[0]
C = torch.from_numpy(np.fromfile(CF, dtype="<f4").reshape(d, d)).float()
am.COV_CACHE[(model.config._name_or_path.replace("/", "_"), hp.rewrite_module_tmp.format(L))] = C
W0 = W.detach().clone()
log = open("easyedit_stdout.log", "w")
for start in range(0, N, B):
    chunk = [dict(r) for r in reqs[start:start + B]]
    with H.capture_stdout(log, echo=False):
        model, _ = am.apply_AlphaEdit_to_model(model, tok, chunk, hp, copy=False)
    done = start + len(chunk)
    print(f"{done} edits applied; |W - W0| = {(W.detach() - W0).norm():.3f}", flush=True)
    if done in checkpoints or done == N:
        os.makedirs(f"at{done}", exist_ok=True)
        np.save(f"at{done}/batch_000_delta_layer{L}.npy", (W.detach() - W0).numpy())
P = torch.load("null_space_project.pt")
print("null space dimension (trace of P):", float(torch.trace(P[0])))
