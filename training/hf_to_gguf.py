"""Qwen2.5-VL (a Hugging Face folder) -> two GGUF files llama.cpp runs: the language model and the mmproj.

ReMUD's own converter, written with the `gguf` package (gguf-py, which ReMUD's chat extra installs), so
that a trained model reaches the chat tab without a llama.cpp checkout. It handles exactly what
training/merge.py (and `save_pretrained` of Qwen2_5_VLForConditionalGeneration) writes:

* config.json (`text_config` / `vision_config`, or the older flat layout), model*.safetensors (names
  `model.language_model.*`, `model.visual.*`, `lm_head.*`, or the older `model.*`, `visual.*`),
  tokenizer.json (byte-level BPE with merges), tokenizer_config.json, chat_template.jinja (or the
  template in tokenizer_config.json), generation_config.json and preprocessor_config.json.
* Language model -> architecture `qwen2vl` (M-RoPE, `rope.dimension_sections` = mrope_section + [0]):
  embeddings, RMS norms, biased q/k/v, o, gated MLP, output head (the embeddings when tied). Matrices in
  F16 (or F32), norms and biases in F32. Tokenizer `gpt2` with pre-tokenizer `qwen2`, tokens in id order
  (added special tokens are control tokens), merges, bos/eos/pad, the chat template.
* Vision encoder + merger -> architecture `clip`, projector `qwen2.5vl_merger`: the 3-D patch
  convolution split into its two temporal frames, each block's fused qkv split into q, k, v, RMS norms,
  the gated SiLU MLP, the merger's norm and two linears; window attention every `fullatt_block_indexes[0]
  + 1` blocks (`n_wa_pattern`), the processor's mean and std.

Tensors are read one at a time (safetensors, memory-mapped) and written straight to the file, so a 7B
model converts in a few GB of memory. Quantization is left to llama.cpp (training/convert_to_gguf.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.errors import TrainingError

ARCHITECTURE = "Qwen2_5_VLForConditionalGeneration"
DEFAULT_IMAGE_MEAN = (0.48145466, 0.4578275, 0.40821073)  # Qwen2.5-VL's processor (OpenAI CLIP's)
DEFAULT_IMAGE_STD = (0.26862954, 0.26130258, 0.27577711)
OUT_TYPES = ("f16", "f32")

# language model: Hugging Face name (after the prefix) -> GGUF name
TEXT_GLOBAL = {"embed_tokens.weight": "token_embd.weight", "norm.weight": "output_norm.weight"}
TEXT_BLOCK = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
# vision encoder: Hugging Face name (after the prefix) -> GGUF name; qkv and the patch convolution are split
VISION_GLOBAL = {"merger.ln_q.weight": "v.post_ln.weight",
                 "merger.mlp.0.weight": "mm.0.weight", "merger.mlp.0.bias": "mm.0.bias",
                 "merger.mlp.2.weight": "mm.2.weight", "merger.mlp.2.bias": "mm.2.bias"}
VISION_BLOCK = {
    "norm1.weight": "ln1.weight", "norm2.weight": "ln2.weight",
    "attn.proj.weight": "attn_out.weight", "attn.proj.bias": "attn_out.bias",
    "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.gate_proj.bias": "ffn_gate.bias",
    "mlp.up_proj.weight": "ffn_up.weight", "mlp.up_proj.bias": "ffn_up.bias",
    "mlp.down_proj.weight": "ffn_down.weight", "mlp.down_proj.bias": "ffn_down.bias",
}
TEXT_PREFIXES = ("model.language_model.", "model.")  # transformers 5 / 4.4x layouts
VISION_PREFIXES = ("model.visual.", "visual.")


@dataclass(frozen=True)
class _Tensor:
    """One GGUF tensor to write: its name, shape, type and how to make its data."""

    name: str
    shape: tuple[int, ...]
    dtype: Any  # np.float16 or np.float32
    make: Callable[[], np.ndarray]


class _Weights:
    """The safetensors of a model folder, read one tensor at a time."""

    def __init__(self, folder: Path) -> None:
        from safetensors import safe_open  # heavy: only when converting

        files = sorted(folder.glob("model*.safetensors"))
        if not files:
            raise TrainingError(f"{folder} has no model*.safetensors; give the folder training/merge.py wrote.")
        self._handles = [safe_open(str(f), framework="pt") for f in files]
        self._where: dict[str, Any] = {}
        for handle in self._handles:
            for key in handle.keys():
                self._where[key] = handle

    def names(self) -> list[str]:
        return list(self._where)

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._where[name].get_slice(name).get_shape())

    def array(self, name: str) -> np.ndarray:
        import torch  # heavy: only when converting (bfloat16 has no numpy type, so through torch)

        return self._where[name].get_tensor(name).to(torch.float32).numpy()


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def load_config(folder: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(whole config, text config, vision config) of a Qwen2.5-VL folder, old or new layout."""
    config = _read_json(folder / "config.json")
    if not config:
        raise TrainingError(f"{folder} has no config.json; give the folder training/merge.py wrote.")
    if ARCHITECTURE not in (config.get("architectures") or []):
        raise TrainingError(f"{folder} holds {', '.join(config.get('architectures') or ['an unknown model'])}, not "
                            f"{ARCHITECTURE}; the converter handles Qwen2.5-VL only.")
    text = dict(config.get("text_config") or config)
    vision = dict(config.get("vision_config") or {})
    if not vision:
        raise TrainingError(f"{folder}/config.json has no vision_config; it is not a Qwen2.5-VL model.")
    return config, text, vision


def _rope(text: dict[str, Any], config: dict[str, Any]) -> tuple[float, list[int]]:
    """(rope theta, mrope sections) from transformers 5's rope_parameters or 4.x's rope_scaling/rope_theta."""
    params = text.get("rope_parameters") or config.get("rope_parameters") or {}
    scaling = text.get("rope_scaling") or config.get("rope_scaling") or {}
    theta = params.get("rope_theta", text.get("rope_theta", config.get("rope_theta", 1_000_000.0)))
    sections = params.get("mrope_section") or scaling.get("mrope_section")
    if not sections:
        raise TrainingError("config.json names no mrope_section (rope_parameters or rope_scaling); it is not a "
                            "Qwen2.5-VL model.")
    return float(theta), [int(s) for s in sections]


def _strip(name: str, prefixes: tuple[str, ...]) -> str | None:
    for prefix in prefixes:
        if name.startswith(prefix):
            return name[len(prefix):]
    return None


def _matrix_type(out_type: str) -> Any:
    return np.float32 if out_type == "f32" else np.float16


def text_tensors(weights: _Weights, text: dict[str, Any], out_type: str) -> list[_Tensor]:
    wanted = _matrix_type(out_type)
    out: list[_Tensor] = []
    names = weights.names()
    block = re.compile(r"layers\.(\d+)\.(.+)$")
    for name in names:
        if _strip(name, VISION_PREFIXES) is not None:
            continue
        rest = _strip(name, TEXT_PREFIXES)
        target: str | None = None
        if name == "lm_head.weight":
            target = "output.weight"
        elif rest is not None and rest in TEXT_GLOBAL:
            target = TEXT_GLOBAL[rest]
        elif rest is not None and (m := block.match(rest)) and m.group(2) in TEXT_BLOCK:
            target = f"blk.{m.group(1)}.{TEXT_BLOCK[m.group(2)]}"
        if target is None:
            raise TrainingError(f"The language-model tensor {name} is not part of Qwen2.5-VL's layout; the converter "
                                "cannot place it (was the LoRA adapter merged with training/merge.py?).")
        shape = weights.shape(name)
        dtype = np.float32 if len(shape) == 1 else wanted
        out.append(_Tensor(target, shape, dtype, _loader(weights, name, dtype)))
    made = {t.name for t in out}
    if "output.weight" not in made and "token_embd.weight" in made:  # tied embeddings: the head is the table
        source = next(n for n in names if _strip(n, TEXT_PREFIXES) == "embed_tokens.weight")
        out.append(_Tensor("output.weight", weights.shape(source), wanted, _loader(weights, source, wanted)))
    expected = 2 + 12 * int(text["num_hidden_layers"]) + 1
    if len(out) != expected:
        raise TrainingError(f"The language model has {len(out)} of the {expected} tensors Qwen2.5-VL needs; the "
                            "model folder is incomplete.")
    return out


def vision_tensors(weights: _Weights, vision: dict[str, Any]) -> list[_Tensor]:
    out: list[_Tensor] = []
    block = re.compile(r"blocks\.(\d+)\.(.+)$")
    for name in weights.names():
        rest = _strip(name, VISION_PREFIXES)
        if rest is None:
            continue
        shape = weights.shape(name)
        if rest == "patch_embed.proj.weight":  # [out, in, t=2, h, w]: one 2-D convolution per frame
            if len(shape) != 5 or shape[2] != 2:
                raise TrainingError(f"The patch embedding has shape {list(shape)}; the converter handles a "
                                    "temporal patch size of 2 (Qwen2.5-VL's).")
            frame_shape = (shape[0], shape[1], shape[3], shape[4])
            for frame, suffix in ((0, ""), (1, ".1")):
                out.append(_Tensor(f"v.patch_embd.weight{suffix}", frame_shape, np.float16,
                                   _loader(weights, name, np.float16, _frame(frame))))
            continue
        if rest in VISION_GLOBAL:
            dtype = np.float32 if len(shape) == 1 else np.float16
            out.append(_Tensor(VISION_GLOBAL[rest], shape, dtype, _loader(weights, name, dtype)))
            continue
        m = block.match(rest)
        if m and m.group(2) in ("attn.qkv.weight", "attn.qkv.bias"):
            kind = m.group(2).rsplit(".", 1)[1]
            third = shape[0] // 3
            dtype = np.float32 if kind == "bias" else np.float16
            for i, part in enumerate("qkv"):
                out.append(_Tensor(f"v.blk.{m.group(1)}.attn_{part}.{kind}", (third, *shape[1:]), dtype,
                                   _loader(weights, name, dtype, _rows(i * third, (i + 1) * third))))
            continue
        if m and m.group(2) in VISION_BLOCK:
            dtype = np.float32 if len(shape) == 1 else np.float16
            out.append(_Tensor(f"v.blk.{m.group(1)}.{VISION_BLOCK[m.group(2)]}", shape, dtype,
                               _loader(weights, name, dtype)))
            continue
        raise TrainingError(f"The vision tensor {name} is not part of Qwen2.5-VL's layout; the converter cannot "
                            "place it.")
    expected = 2 + 16 * int(vision["depth"]) + 5
    if len(out) != expected:
        raise TrainingError(f"The vision encoder has {len(out)} of the {expected} tensors Qwen2.5-VL needs; the "
                            "model folder is incomplete.")
    return out


def _frame(frame: int) -> Callable[[np.ndarray], np.ndarray]:
    """One temporal frame of a [out, in, t, h, w] convolution kernel."""
    return lambda array: array[:, :, frame]


def _rows(start: int, stop: int) -> Callable[[np.ndarray], np.ndarray]:
    """Rows start..stop of a fused tensor (q, k or v of qkv)."""
    return lambda array: array[start:stop]


def _loader(weights: _Weights, name: str, dtype: Any,
            transform: Callable[[np.ndarray], np.ndarray] | None = None) -> Callable[[], np.ndarray]:
    def make() -> np.ndarray:
        array = weights.array(name)
        if transform is not None:
            array = transform(array)
        return np.ascontiguousarray(array.astype(dtype))
    return make


@dataclass(frozen=True)
class Vocabulary:
    tokens: list[str]
    types: list[int]
    merges: list[str]
    bos: int
    eos: int
    pad: int
    chat_template: str


def load_vocabulary(folder: Path, vocab_size: int) -> Vocabulary:
    """The tokenizer as llama.cpp's `gpt2` BPE wants it (tokens in id order, padded to the embedding size)."""
    from gguf import TokenType  # heavy: only when converting

    data = _read_json(folder / "tokenizer.json")
    model = data.get("model") or {}
    if model.get("type") != "BPE" or not isinstance(model.get("vocab"), dict):
        raise TrainingError(f"{folder}/tokenizer.json is not a byte-level BPE tokenizer (Qwen2.5-VL's); save the "
                            "processor with the model (training/merge.py does).")
    raw_merges = model.get("merges") or []
    merges = [m if isinstance(m, str) else " ".join(m) for m in raw_merges]
    if not merges:
        raise TrainingError(f"{folder}/tokenizer.json has no BPE merges; llama.cpp cannot load a tokenizer without "
                            "them.")
    by_id: dict[int, tuple[str, int]] = {i: (t, int(TokenType.NORMAL)) for t, i in model["vocab"].items()}
    for added in data.get("added_tokens") or []:
        kind = TokenType.CONTROL if added.get("special") else TokenType.USER_DEFINED
        by_id[int(added["id"])] = (added["content"], int(kind))
    size = max(vocab_size, max(by_id) + 1)
    tokens = [by_id.get(i, (f"[PAD{i}]", int(TokenType.UNUSED)))[0] for i in range(size)]
    types = [by_id.get(i, (f"[PAD{i}]", int(TokenType.UNUSED)))[1] for i in range(size)]
    ids = {t: i for i, t in enumerate(tokens)}

    settings = _read_json(folder / "tokenizer_config.json")
    generation = _read_json(folder / "generation_config.json")

    def token_id(value: Any, fallback: str) -> int:
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, int):
            return value
        if isinstance(value, dict):
            value = value.get("content")
        text = value if isinstance(value, str) and value in ids else fallback
        if text not in ids:
            raise TrainingError(f"The tokenizer has no {fallback} token; it is not Qwen2.5-VL's.")
        return ids[text]

    eos = token_id(generation.get("eos_token_id", settings.get("eos_token")), "<|im_end|>")
    pad = token_id(generation.get("pad_token_id", settings.get("pad_token")), "<|endoftext|>")
    bos = token_id(generation.get("bos_token_id", settings.get("bos_token")), "<|endoftext|>")
    template_file = folder / "chat_template.jinja"
    template = (template_file.read_text(encoding="utf-8") if template_file.is_file()
                else settings.get("chat_template") or _read_json(folder / "chat_template.json").get("chat_template"))
    if not isinstance(template, str) or not template:
        raise TrainingError(f"{folder} has no chat template; save the processor with the model (training/merge.py "
                            "does).")
    return Vocabulary(tokens, types, merges, bos, eos, pad, template)


def _write(path: Path, arch: str, add_keys: Callable[[Any], None], tensors: list[_Tensor],
           progress: Callable[[str], None] | None = None) -> Path:
    """Write a GGUF file tensor by tensor (header and tensor infos first, then each tensor's data)."""
    import gguf  # heavy: only when converting

    part = path.with_name(f".{path.name}.part")
    writer = gguf.GGUFWriter(str(part), arch)
    try:
        add_keys(writer)
        for tensor in tensors:
            nbytes = int(np.prod(tensor.shape)) * np.dtype(tensor.dtype).itemsize
            writer.add_tensor_info(tensor.name, tensor.shape, np.dtype(tensor.dtype), nbytes)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for n, tensor in enumerate(tensors, 1):
            data = tensor.make()
            if data.shape != tensor.shape:
                raise TrainingError(f"{tensor.name} came out as {list(data.shape)}, not {list(tensor.shape)}; please "
                                    "report this.")
            writer.write_tensor_data(data)
            if progress is not None and n % 50 == 0:
                progress(f"{path.name}: {n}/{len(tensors)} tensors")
        writer.close()
    except BaseException:
        writer.close()
        part.unlink(missing_ok=True)
        raise
    part.replace(path)
    return path


def write_language_model(folder: str | Path, path: str | Path, out_type: str = "f16",
                         progress: Callable[[str], None] | None = None) -> Path:
    """The language model of a Qwen2.5-VL folder as a `qwen2vl` GGUF (F16 or F32 matrices)."""
    import gguf  # heavy: only when converting

    folder, path = Path(folder), Path(path)
    if out_type not in OUT_TYPES:
        raise TrainingError(f"Output type {out_type} is not offered; use one of {', '.join(OUT_TYPES)}.")
    config, text, _ = load_config(folder)
    theta, sections = _rope(text, config)
    vocab = load_vocabulary(folder, int(text["vocab_size"]))
    weights = _Weights(folder)
    tensors = text_tensors(weights, text, out_type)

    def keys(writer: Any) -> None:
        writer.add_name(folder.name)
        writer.add_context_length(int(text.get("max_position_embeddings", 32768)))
        writer.add_embedding_length(int(text["hidden_size"]))
        writer.add_block_count(int(text["num_hidden_layers"]))
        writer.add_feed_forward_length(int(text["intermediate_size"]))
        writer.add_head_count(int(text["num_attention_heads"]))
        writer.add_head_count_kv(int(text.get("num_key_value_heads", text["num_attention_heads"])))
        writer.add_rope_freq_base(theta)
        writer.add_layer_norm_rms_eps(float(text.get("rms_norm_eps", 1e-6)))
        writer.add_rope_dimension_sections((sections + [0, 0, 0, 0])[:4])  # llama.cpp reads four
        writer.add_file_type(gguf.LlamaFileType.ALL_F32 if out_type == "f32" else gguf.LlamaFileType.MOSTLY_F16)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre("qwen2")
        writer.add_token_list(vocab.tokens)
        writer.add_token_types(vocab.types)
        writer.add_token_merges(vocab.merges)
        writer.add_bos_token_id(vocab.bos)
        writer.add_eos_token_id(vocab.eos)
        writer.add_pad_token_id(vocab.pad)
        writer.add_add_bos_token(False)
        writer.add_chat_template(vocab.chat_template)

    return _write(path, "qwen2vl", keys, tensors, progress)


def write_mmproj(folder: str | Path, path: str | Path, progress: Callable[[str], None] | None = None) -> Path:
    """The vision encoder and merger of a Qwen2.5-VL folder as a `clip` GGUF (projector qwen2.5vl_merger, F16)."""
    import gguf  # heavy: only when converting

    folder, path = Path(folder), Path(path)
    config, text, vision = load_config(folder)
    full = [int(i) for i in vision.get("fullatt_block_indexes") or []]
    pattern = full[0] + 1 if full else 0
    if full and any(b - a != pattern for a, b in zip(full, full[1:])):
        raise TrainingError(f"fullatt_block_indexes {full} are not evenly spaced; llama.cpp cannot run that "
                            "window-attention layout.")
    processor = _read_json(folder / "preprocessor_config.json")
    weights = _Weights(folder)
    tensors = vision_tensors(weights, vision)
    projection = int(vision.get("out_hidden_size", text["hidden_size"]))
    if projection != int(text["hidden_size"]):
        raise TrainingError(f"The vision merger projects to {projection} but the language model is "
                            f"{text['hidden_size']} wide; the model folder is inconsistent.")

    if int(vision.get("spatial_merge_size", 2)) != 2 or int(vision.get("temporal_patch_size", 2)) != 2:
        raise TrainingError("The vision encoder does not merge 2x2 patches of 2 frames (Qwen2.5-VL's layout); "
                            "llama.cpp cannot run it.")

    def keys(writer: Any) -> None:
        # the clip keys by name (as llama.cpp's mtmd reads them): works with every gguf version of the chat extra
        writer.add_name(f"{folder.name} vision")
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
        writer.add_bool("clip.has_vision_encoder", True)
        writer.add_string("clip.projector_type", "qwen2.5vl_merger")
        writer.add_bool("clip.use_silu", True)
        writer.add_uint32("clip.vision.projection_dim", projection)
        writer.add_uint32("clip.vision.embedding_length", int(vision["hidden_size"]))
        writer.add_uint32("clip.vision.feed_forward_length", int(vision["intermediate_size"]))
        writer.add_uint32("clip.vision.block_count", int(vision["depth"]))
        writer.add_uint32("clip.vision.attention.head_count", int(vision["num_heads"]))
        writer.add_float32("clip.vision.attention.layer_norm_epsilon", float(text.get("rms_norm_eps", 1e-6)))
        writer.add_uint32("clip.vision.image_size", int(vision.get("image_size", 560)))
        writer.add_uint32("clip.vision.patch_size", int(vision.get("patch_size", 14)))
        writer.add_array("clip.vision.image_mean", [float(v) for v in processor.get("image_mean", DEFAULT_IMAGE_MEAN)])
        writer.add_array("clip.vision.image_std", [float(v) for v in processor.get("image_std", DEFAULT_IMAGE_STD)])
        writer.add_uint32("clip.vision.n_wa_pattern", pattern)

    return _write(path, "clip", keys, tensors, progress)


def tensor_names(folder: str | Path) -> Iterator[str]:
    """The GGUF names the converter gives a folder's tensors (language model, then vision), without writing."""
    folder = Path(folder)
    config, text, vision = load_config(folder)
    weights = _Weights(folder)
    for tensor in [*text_tensors(weights, text, "f16"), *vision_tensors(weights, vision)]:
        yield tensor.name
