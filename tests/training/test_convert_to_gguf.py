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


# -- ReMUD's own converter: a tiny Qwen2.5-VL the test builds, all the way to the chat engine ---------------

@pytest.fixture(scope="module")
def tiny_vl_dir(tmp_path_factory):
    from tests.training.tiny_qwen import save_tiny_qwen  # heavy: transformers

    # 256 wide: llama.cpp's Q4_K quantizes rows of 256 values
    return save_tiny_qwen(tmp_path_factory.mktemp("tiny-vl") / "merged", hidden_size=256)


def test_round_trip_trained_folder_to_the_chat_engine_offline(tiny_vl_dir, tmp_path, capsys):
    """HF folder -> GGUF + mmproj -> Q4_K_M with one command and no llama.cpp checkout, then the chat engine
    answers a question about an image with them."""
    pytest.importorskip("llama_cpp")
    from engine.chat import BudgetSettings, ChatEngine, ChatTurn, ModelSettings, Sampling
    from tests.training.tiny_qwen import ultrasound_png

    assert main(["--model", str(tiny_vl_dir), "--output", str(tmp_path / "gguf"), "--name", "tiny"]) == 0
    out = capsys.readouterr().out
    model, mmproj = tmp_path / "gguf" / "tiny-Q4_K_M.gguf", tmp_path / "gguf" / "mmproj-tiny-f16.gguf"
    assert f"Model: {model}" in out and f"mmproj: {mmproj}" in out
    assert sorted(p.name for p in (tmp_path / "gguf").iterdir()) == ["mmproj-tiny-f16.gguf", "tiny-Q4_K_M.gguf"]
    reader = GGUFReader(str(model))
    types = {t.name: t.tensor_type for t in reader.tensors}
    assert types["blk.0.attn_q.weight"] == GGMLQuantizationType.Q4_K and types["output_norm.weight"].name == "F32"
    projector = GGUFReader(str(mmproj))
    assert "v.patch_embd.weight.1" in {t.name for t in projector.tensors}

    image = tmp_path / "scan.png"
    ultrasound_png(image, seed=1, size=(112, 84))
    with ChatEngine(ModelSettings(model, mmproj_path=mmproj, n_ctx=1024, n_threads=2, seed=1)) as engine:
        assert engine.has_vision
        assert engine.image_grid(image) == (112 // 28, 84 // 28)  # the processor's grid: 8x6 patches, merged 2x2
        result = engine.generate([ChatTurn("user", "Which organ is shown?", image)],
                                 budget=BudgetSettings.from_mode("max", max_thinking_tokens=8),
                                 sampling=Sampling(max_answer_tokens=6, seed=1))
    assert result.images_encoded == 1 and result.thinking_tokens == 8 and result.answer_tokens == 6
    assert result.prompt_tokens > 12  # the 12 image embeddings and the text


def test_converted_language_model_computes_what_the_hf_model_computes(tiny_vl_dir, tmp_path):
    """The GGUF (F32) gives the Hugging Face model's logits for the same tokens: names, shapes, orientation,
    M-RoPE sections, norms and the tokenizer's ids all line up."""
    llama_cpp = pytest.importorskip("llama_cpp")
    import numpy as np
    import torch
    from transformers import AutoTokenizer, Qwen2_5_VLForConditionalGeneration

    from training.hf_to_gguf import write_language_model

    path = write_language_model(tiny_vl_dir, tmp_path / "tiny-f32.gguf", "f32")
    tokenizer = AutoTokenizer.from_pretrained(tiny_vl_dir)
    text = "<|im_start|>user\nWait, is the kidney enlarged?<|im_end|>\n<|im_start|>assistant\n"
    ids = tokenizer.encode(text, add_special_tokens=False)
    hf = Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_vl_dir, dtype=torch.float32)
    # llama.cpp (as of llama-cpp-python 0.3.36) does not read the RMS-norm epsilon of a qwen2vl model and
    # uses 0; the file holds it (checked below). Compared like for like, with the Hugging Face norms at 0 too.
    for module in hf.model.language_model.modules():
        if hasattr(module, "variance_epsilon"):
            module.variance_epsilon = 0.0
    eps = GGUFReader(str(path)).fields["qwen2vl.attention.layer_norm_rms_epsilon"]
    assert float(eps.parts[eps.data[0]][0]) == pytest.approx(hf.config.text_config.rms_norm_eps)
    with torch.no_grad():
        expected = hf(input_ids=torch.tensor([ids])).logits[0].numpy()
    llm = llama_cpp.Llama(str(path), n_ctx=256, logits_all=True, verbose=False, n_threads=2,
                          type_k=0, type_v=0)  # an F32 KV cache (GGML_TYPE_F32): no F16 rounding of keys/values
    try:
        assert llm.tokenize(text.encode(), add_bos=False, special=True) == ids  # the same tokenizer
        llm.eval(ids)
        got = np.array(llm.scores[:len(ids)])
    finally:
        llm.close()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-4 * max(1.0, np.abs(expected).max())
    assert (got.argmax(-1) == expected.argmax(-1)).all()


def test_bundled_converter_refuses_what_it_cannot_place(tiny_vl_dir, tmp_path):
    import shutil

    from training.hf_to_gguf import write_language_model, write_mmproj

    copy = tmp_path / "model"
    shutil.copytree(tiny_vl_dir, copy)
    tokenizer = json.loads((copy / "tokenizer.json").read_text())
    tokenizer["model"]["merges"] = []
    (copy / "tokenizer.json").write_text(json.dumps(tokenizer))
    with pytest.raises(TrainingError, match="no BPE merges"):
        write_language_model(copy, tmp_path / "m.gguf")
    assert not list(tmp_path.glob("*.gguf")) and not list(tmp_path.glob(".*.part"))
    config = json.loads((copy / "config.json").read_text())
    config["vision_config"]["fullatt_block_indexes"] = [0, 2]
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(TrainingError, match="not evenly spaced"):
        write_mmproj(copy, tmp_path / "p.gguf")
    (copy / "config.json").write_text(json.dumps({**config, "architectures": ["LlamaForCausalLM"]}))
    with pytest.raises(TrainingError, match="Qwen2.5-VL only"):
        write_mmproj(copy, tmp_path / "p.gguf")
