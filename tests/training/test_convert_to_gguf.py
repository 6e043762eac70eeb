"""GGUF path: clear errors before any long step, and the real Q4_K_M quantization with llama-cpp-python."""

from __future__ import annotations

import json

import pytest
from gguf import GGMLQuantizationType, GGUFReader

from tests.tiny_gguf import write_tiny_qwen2_gguf
from training.convert_to_gguf import convert, main, quantize
from training.errors import TrainingError


@pytest.fixture
def merged_like(tmp_path):
    folder = tmp_path / "merged"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"architectures": ["Qwen2_5_VLForConditionalGeneration"]}))
    (folder / "model.safetensors").write_bytes(b"")
    return folder


def test_missing_llama_cpp_checkout_is_a_clear_error(merged_like, tmp_path):
    with pytest.raises(TrainingError, match="not a llama.cpp checkout.*--llama-cpp"):
        convert(merged_like, tmp_path / "llama.cpp", tmp_path / "gguf", "m")
    assert not (tmp_path / "gguf").exists()  # nothing written before the checks pass


def test_model_folder_is_checked(tmp_path, capsys):
    adapter_only = tmp_path / "adapter"
    adapter_only.mkdir()
    assert main(["--model", str(adapter_only), "--llama-cpp", str(tmp_path), "--output", str(tmp_path / "o")]) == 1
    assert "has no config.json" in capsys.readouterr().err
    (adapter_only / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}))
    with pytest.raises(TrainingError, match="not Qwen2_5_VLForConditionalGeneration"):
        convert(adapter_only, tmp_path, tmp_path / "o", "m")


def test_converter_failure_is_reported(merged_like, tmp_path):
    checkout = tmp_path / "llama.cpp"
    checkout.mkdir()
    (checkout / "convert_hf_to_gguf.py").write_text("import sys\nsys.exit('Model Qwen2_5_VL is not supported')\n")
    pytest.importorskip("llama_cpp")
    with pytest.raises(TrainingError, match="convert_hf_to_gguf.py failed \\(Model Qwen2_5_VL is not supported\\)"):
        convert(merged_like, checkout, tmp_path / "gguf", "m")


def test_quantize_to_q4_k_m_with_llama_cpp(tmp_path):
    llama_cpp = pytest.importorskip("llama_cpp")

    source = write_tiny_qwen2_gguf(tmp_path / "tiny-f32.gguf", n_embd=256, n_layer=1, n_ff=512)
    target = quantize(source, tmp_path / "tiny-Q4_K_M.gguf")
    types = {t.name: t.tensor_type for t in GGUFReader(str(target)).tensors}
    assert GGMLQuantizationType.Q4_K in types.values()
    assert types["blk.0.attn_q.weight"] in (GGMLQuantizationType.Q4_K, GGMLQuantizationType.Q5_K,
                                           GGMLQuantizationType.Q6_K)
    assert target.stat().st_size < source.stat().st_size / 3
    model = llama_cpp.Llama(str(target), n_ctx=64, verbose=False)  # the chat tab's loader reads it
    assert model.n_vocab() > 256


def test_quantize_errors(tmp_path):
    with pytest.raises(TrainingError, match="does not exist"):
        quantize(tmp_path / "missing.gguf", tmp_path / "out.gguf")
    with pytest.raises(TrainingError, match="not offered"):
        quantize(tmp_path / "missing.gguf", tmp_path / "out.gguf", quant="Q1")
    pytest.importorskip("llama_cpp")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF not really")
    with pytest.raises(TrainingError, match="could not quantize"):
        quantize(junk, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()
    earlier = tmp_path / "earlier-Q4_K_M.gguf"  # a model made before: a failed run must not cost it
    earlier.write_bytes(b"an earlier model")
    with pytest.raises(TrainingError, match="could not quantize"):
        quantize(junk, earlier)
    assert earlier.read_bytes() == b"an earlier model" and sorted(p.name for p in tmp_path.iterdir()) == [
        "earlier-Q4_K_M.gguf", "junk.gguf"]
