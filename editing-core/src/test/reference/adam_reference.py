"""Golden trajectory of torch.optim.Adam for AdamGoldenTest (run with Debian's /usr/bin/python3).

A 3x4 parameter takes 8 steps with fixed gradients (seeded, independent of the parameter), in
float32 and float64, with torch's defaults (betas 0.9/0.999, eps 1e-8) and lr 0.05; the parameter
after every step is written. Rerunning writes the same bytes.

    /usr/bin/python3 editing-core/src/test/reference/adam_reference.py \
        > editing-core/src/test/resources/golden/adam/torch-adam.json
"""
import json

import torch

torch.manual_seed(20261207)
SHAPE = (3, 4)
STEPS = 8
LR = 0.05
start = torch.randn(SHAPE, dtype=torch.float64)
grads = [torch.randn(SHAPE, dtype=torch.float64) * (0.1 * (k + 1)) for k in range(STEPS)]


def trajectory(dtype):
    p = torch.nn.Parameter(start.clone().to(dtype))
    opt = torch.optim.Adam([p], lr=LR)
    out = []
    for g in grads:
        p.grad = g.clone().to(dtype)
        opt.step()
        out.append([float(x) for x in p.detach().flatten().tolist()])
    return out


print(json.dumps({
    "generator": "editing-core/src/test/reference/adam_reference.py",
    "torch": torch.__version__,
    "shape": list(SHAPE),
    "lr": LR,
    "start": [float(x) for x in start.flatten().tolist()],
    "grads": [[float(x) for x in g.flatten().tolist()] for g in grads],
    "float32": trajectory(torch.float32),
    "float64": trajectory(torch.float64),
}, indent=1))
