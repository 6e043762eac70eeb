"""A tiny random Qwen2 GGUF that llama.cpp loads: real tokenizer metadata, random weights.

The vocabulary is byte-level BPE like Qwen2's: the 256 GPT-2 byte tokens, a handful of merges
(so some words are single tokens, e.g. "Wait"), the chat special tokens (<|endoftext|>,
<|im_start|>, <|im_end|>, <|vision_start|>, <|vision_end|>, <|image_pad|>) as control tokens, and
`<think>` / `</think>` as user-defined added tokens (as Qwen3-style tokenizers have them), so a test
can push the model to close its thinking with a single logit bias. The weights are random, so the
text is gibberish, but every code path of llama.cpp (tokenize, decode, sample, KV cache) is real.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
from gguf import TokenType

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>")
ADDED_TOKENS = ("<think>", "</think>")
MERGES = ("Ġ t", "h e", "i n", "W a", "i t", "Wa it", "a n", "e r")

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def byte_tokens() -> list[str]:
    """GPT-2's byte-to-unicode table, in byte order (printable bytes map to themselves)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table: dict[int, str] = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def vocabulary() -> tuple[list[str], list[int]]:
    """(tokens, token types) in id order."""
    tokens = byte_tokens()
    types = [int(TokenType.NORMAL)] * len(tokens)
    for merge in MERGES:
        tokens.append(merge.replace(" ", ""))
        types.append(int(TokenType.NORMAL))
    for special in SPECIAL_TOKENS:
        tokens.append(special)
        types.append(int(TokenType.CONTROL))
    for added in ADDED_TOKENS:
        tokens.append(added)
        types.append(int(TokenType.USER_DEFINED))
    return tokens, types


def write_tiny_qwen2_gguf(
    path: str | Path,
    *,
    n_embd: int = 256,
    n_layer: int = 2,
    n_head: int = 4,
    n_head_kv: int = 2,
    n_ff: int = 512,
    seed: int = 0,
    arch: str = "qwen2",
    n_ctx_train: int = 8192,
) -> Path:
    """Write a loadable tiny model; `arch="qwen2vl"` writes the Qwen2.5-VL language-model flavour (M-RoPE)."""
    path = Path(path)
    rng = np.random.default_rng(seed)
    tokens, types = vocabulary()
    n_vocab = len(tokens)
    head_dim = n_embd // n_head
    n_embd_kv = head_dim * n_head_kv

    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name("tiny-random-qwen2")
    writer.add_context_length(n_ctx_train)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    if arch == "qwen2vl":
        quarter = head_dim // 2
        writer.add_rope_dimension_sections([quarter // 4, 3 * quarter // 8, 3 * quarter // 8, 0])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(list(MERGES))
    writer.add_eos_token_id(tokens.index("<|im_end|>"))
    writer.add_bos_token_id(tokens.index("<|endoftext|>"))
    writer.add_pad_token_id(tokens.index("<|endoftext|>"))
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.5 / np.sqrt(shape[-1])).astype(np.float32)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    writer.add_tensor("token_embd.weight", weight(n_vocab, n_embd) * 8)
    writer.add_tensor("output_norm.weight", ones(n_embd))
    writer.add_tensor("output.weight", weight(n_vocab, n_embd) * 4)
    for i in range(n_layer):
        b = f"blk.{i}"
        writer.add_tensor(f"{b}.attn_norm.weight", ones(n_embd))
        writer.add_tensor(f"{b}.attn_q.weight", weight(n_embd, n_embd))
        writer.add_tensor(f"{b}.attn_q.bias", weight(n_embd))
        writer.add_tensor(f"{b}.attn_k.weight", weight(n_embd_kv, n_embd))
        writer.add_tensor(f"{b}.attn_k.bias", weight(n_embd_kv))
        writer.add_tensor(f"{b}.attn_v.weight", weight(n_embd_kv, n_embd))
        writer.add_tensor(f"{b}.attn_v.bias", weight(n_embd_kv))
        writer.add_tensor(f"{b}.attn_output.weight", weight(n_embd, n_embd))
        writer.add_tensor(f"{b}.ffn_norm.weight", ones(n_embd))
        writer.add_tensor(f"{b}.ffn_gate.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"{b}.ffn_up.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"{b}.ffn_down.weight", weight(n_embd, n_ff))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_tiny_qwen25vl_mmproj(
    path: str | Path,
    *,
    projection_dim: int = 256,
    n_embd: int = 64,
    n_ff: int = 128,
    n_layer: int = 2,
    n_head: int = 2,
    patch_size: int = 14,
    seed: int = 0,
) -> Path:
    """A tiny random Qwen2.5-VL vision projector (mmproj) that llama.cpp's mtmd loads.

    `projection_dim` must equal the language model's embedding length. The encoder follows
    Qwen2.5-VL's layout: two patch-embedding convolutions (temporal pair), RMS-normed blocks with
    biased attention and a gated SiLU MLP, and the 2x2 patch merger (mm.0 -> GELU -> mm.2).
    Window attention is off (n_wa_pattern 0), which llama.cpp accepts.
    """
    path = Path(path)
    rng = np.random.default_rng(seed)

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.5 / np.sqrt(shape[-1])).astype(np.float32)

    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_name("tiny-random-qwen2.5-vl-mmproj")
    writer.add_string("clip.projector_type", "qwen2.5vl_merger")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.use_silu", True)
    writer.add_uint32("clip.vision.embedding_length", n_embd)
    writer.add_uint32("clip.vision.feed_forward_length", n_ff)
    writer.add_uint32("clip.vision.block_count", n_layer)
    writer.add_uint32("clip.vision.attention.head_count", n_head)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    writer.add_uint32("clip.vision.projection_dim", projection_dim)
    writer.add_uint32("clip.vision.image_size", 560)
    writer.add_uint32("clip.vision.patch_size", patch_size)
    writer.add_array("clip.vision.image_mean", [0.48145466, 0.4578275, 0.40821073])
    writer.add_array("clip.vision.image_std", [0.26862954, 0.26130258, 0.27577711])
    writer.add_uint32("clip.vision.n_wa_pattern", 0)

    writer.add_tensor("v.patch_embd.weight", weight(n_embd, 3, patch_size, patch_size).astype(np.float16))
    writer.add_tensor("v.patch_embd.weight.1", weight(n_embd, 3, patch_size, patch_size).astype(np.float16))
    for i in range(n_layer):
        b = f"v.blk.{i}"
        writer.add_tensor(f"{b}.ln1.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"{b}.ln2.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            writer.add_tensor(f"{b}.{name}.weight", weight(n_embd, n_embd))
            writer.add_tensor(f"{b}.{name}.bias", weight(n_embd))
        for name, rows, cols in (("ffn_up", n_ff, n_embd), ("ffn_gate", n_ff, n_embd), ("ffn_down", n_embd, n_ff)):
            writer.add_tensor(f"{b}.{name}.weight", weight(rows, cols))
            writer.add_tensor(f"{b}.{name}.bias", weight(rows))
    writer.add_tensor("v.post_ln.weight", np.ones(n_embd, dtype=np.float32))
    writer.add_tensor("mm.0.weight", weight(4 * n_embd, 4 * n_embd))
    writer.add_tensor("mm.0.bias", weight(4 * n_embd))
    writer.add_tensor("mm.2.weight", weight(projection_dim, 4 * n_embd))
    writer.add_tensor("mm.2.bias", weight(projection_dim))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
