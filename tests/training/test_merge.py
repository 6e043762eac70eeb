"""merge.py folds the trained LoRA adapter into full weights that load, match and generate."""

from __future__ import annotations

import json

import pytest
import torch
from peft import PeftModel
from PIL import Image
from transformers import Qwen2_5_VLForConditionalGeneration

from training.collator import QwenVLCollator
from training.convert_to_gguf import check_model_dir
from training.data import load_split
from training.errors import TrainingError
from training.merge import main, merge_lora
from training.model import load_processor


@pytest.fixture(scope="module")
def merged_dir(lora_run, tmp_path_factory):
    return merge_lora(lora_run.output_dir, tmp_path_factory.mktemp("merged") / "model", dtype="float32")


def test_merged_logits_equal_the_adapter_models(lora_run, tiny_model_dir, tiny_export, merged_dir):
    processor = load_processor(merged_dir, 28 * 28 * 4, 28 * 28 * 16)
    batch = QwenVLCollator(processor, 4096)(load_split(tiny_export, "validation"))
    batch.pop("labels")
    base = Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_model_dir)
    with torch.no_grad():
        base_logits = base(**batch).logits
        adapted = PeftModel.from_pretrained(base, lora_run.output_dir).eval()
        adapter_logits = adapted(**batch).logits
        merged = Qwen2_5_VLForConditionalGeneration.from_pretrained(merged_dir).eval()
        merged_logits = merged(**batch).logits
    assert not any("lora" in name for name in merged.state_dict())
    assert not torch.allclose(base_logits, adapter_logits, atol=1e-3)  # the adapter changed the model
    assert torch.allclose(merged_logits, adapter_logits, atol=1e-4)


def test_merged_folder_is_what_the_gguf_converter_expects(merged_dir):
    config = json.loads((merged_dir / "config.json").read_text())
    assert config["architectures"] == ["Qwen2_5_VLForConditionalGeneration"]
    assert any(merged_dir.glob("model*.safetensors")) and not (merged_dir / "adapter_config.json").exists()
    for name in ("tokenizer.json", "preprocessor_config.json", "chat_template.jinja"):
        assert (merged_dir / name).is_file()
    check_model_dir(merged_dir)  # convert_to_gguf's own check accepts it


def test_merged_model_generates(tiny_export, merged_dir):
    processor = load_processor(merged_dir, 28 * 28 * 4, 28 * 28 * 16)
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(merged_dir).eval()
    conversation = load_split(tiny_export, "train")[0]
    prompt = processor.apply_chat_template(conversation.messages[:2], tokenize=False, add_generation_prompt=True)

    inputs = processor(text=[prompt], images=[Image.open(conversation.images[0]).convert("RGB")],
                       return_tensors="pt")
    out = model.generate(**inputs, max_new_tokens=8, do_sample=False, min_new_tokens=8)
    new = out[0, inputs["input_ids"].shape[1]:]
    assert len(new) == 8 and processor.tokenizer.decode(new)


def test_merge_errors(tmp_path, lora_run, capsys):
    with pytest.raises(TrainingError, match="adapter_config.json"):
        merge_lora(tmp_path, tmp_path / "out")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("taken")
    assert main(["--adapter", str(lora_run.output_dir), "--output", str(tmp_path / "full")]) == 1
    assert "is not empty" in capsys.readouterr().err
