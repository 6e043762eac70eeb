"""Config loading (shipped YAMLs, overrides, errors) and reading the export folder."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from accelerate.commands.config.config_args import load_config_from_file
from transformers import Qwen2_5_VLForConditionalGeneration

from training import defaults
from training.config import TrainConfig, load_config
from training.data import load_split
from training.errors import TrainingError
from training.model import lora_target_pattern, prepare_for_training

CONFIGS = Path(__file__).resolve().parents[2] / "training" / "configs"


def test_shipped_lora_config_has_the_paper_defaults():
    config = load_config(CONFIGS / "qwen2_5_vl_lora.yaml")
    assert (config.finetuning, config.freeze_vision) == ("lora", True)
    assert config.learning_rate == 3e-5 and config.lr_scheduler_type == "cosine"
    assert config.num_train_epochs == 3 and config.bf16 and config.gradient_checkpointing
    assert config == load_config("configs/qwen2_5_vl_lora.yaml")  # also found relative to training/


def test_defaults_live_in_one_place():
    """training/defaults.py holds the shared defaults: TrainConfig's defaults and the shipped configs are
    written from it (`python -m training.defaults` leaves both configs as they are)."""
    config = TrainConfig()
    for key, value in defaults.CONFIG_DEFAULTS.items():
        assert getattr(config, key) == value, key
    for name in defaults.CONFIG_FILES:
        text = (CONFIGS / name).read_text(encoding="utf-8")
        assert defaults.sync_config_text(text) == text, f"{name} differs from training/defaults.py"
        loaded = load_config(CONFIGS / name)
        for key, value in defaults.CONFIG_DEFAULTS.items():
            assert getattr(loaded, key) == value, (name, key)
    changed = defaults.sync_config_text("max_length: 4096    # tokens\nlearning_rate: 1e-4\nseed: 1\n")
    assert changed == "max_length: 8192    # tokens\nlearning_rate: 3.0e-05\nseed: 1\n"


def test_shipped_full_and_deepspeed_configs():
    full = load_config(CONFIGS / "qwen2_5_vl_full.yaml")
    assert full.finetuning == "full" and Path(full.deepspeed) == CONFIGS / "deepspeed_zero3.json"
    for stage, name in ((2, "deepspeed_zero2.json"), (3, "deepspeed_zero3.json")):
        ds = json.loads((CONFIGS / name).read_text())
        assert ds["zero_optimization"]["stage"] == stage
        assert ds["train_micro_batch_size_per_gpu"] == "auto" and ds["bf16"]["enabled"] == "auto"


def test_overrides_are_typed_and_checked():
    config = load_config(CONFIGS / "qwen2_5_vl_lora.yaml",
                         ["max_steps=30", "bf16=false", "lora_target=[q_proj, v_proj]", "learning_rate=1e-4"])
    assert (config.max_steps, config.bf16, config.lora_target, config.learning_rate) == (30, False,
                                                                                         ["q_proj", "v_proj"], 1e-4)
    with pytest.raises(TrainingError, match="max_steps must be a whole number"):
        load_config(None, ["max_steps=many"])
    with pytest.raises(TrainingError, match="not key=value"):
        load_config(None, ["max_steps"])
    with pytest.raises(TrainingError, match="does not exist"):
        load_config("configs/nope.yaml")
    with pytest.raises(TrainingError, match="finetuning is 'qlora'"):
        TrainConfig(dataset_dir="x", finetuning="qlora").validate()
    with pytest.raises(TrainingError, match="No dataset_dir"):
        TrainConfig().validate()


def test_lora_targets_only_the_language_model_unless_vision_is_trained(tiny_model_dir):
    for freeze_vision in (True, False):
        model = Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_model_dir)
        peft_model = prepare_for_training(model, TrainConfig(dataset_dir="x", freeze_vision=freeze_vision,
                                                             lora_target=["q_proj", "v_proj"]))
        trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
        assert trainable and all("lora_" in n for n in trainable)
        language = {n.split(".self_attn.")[1].split(".")[0] for n in trainable if ".language_model." in n}
        assert language == {"q_proj", "v_proj"}
        assert any(".visual." in n for n in trainable) is (not freeze_vision)
    assert "language_model" in lora_target_pattern(["q_proj"], include_vision=False)


def test_export_folder_is_read_with_images_relative_to_it(tiny_export):
    train = load_split(tiny_export, "train")
    assert len(train) == 8 and load_split(tiny_export, "test") == []
    with_image = [c for c in train if c.images]
    assert with_image and all(p.is_file() and p.parent == tiny_export / "images" for c in with_image
                              for p in c.images)
    user = next(m for m in with_image[0].messages if m["role"] == "user")
    assert user["content"][0] == {"type": "image"} and user["content"][1]["type"] == "text"
    text_only = [c for c in train if not c.images]
    user = next(m for m in text_only[0].messages if m["role"] == "user")
    assert user["content"] == [{"type": "text", "text": "What is the normal size of the thyroid?"}]


@pytest.mark.parametrize("mutate, message", [
    (lambda item: item.update(images=[]), "1 <image> placeholder\\(s\\) but 0 image"),
    (lambda item: item.update(images=["images/gone.png"]), "gone.png used by train.json item 0 is missing"),
    (lambda item: item["messages"].pop(), "no assistant answer"),
    (lambda item: item["messages"].append({"role": "tool", "content": "x"}), "role 'tool'"),
])
def test_bad_items_are_named(tmp_path, mutate, message):
    (tmp_path / "sharegpt").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"")
    item = {"messages": [{"role": "user", "content": "<image>Q"}, {"role": "assistant", "content": "A"}],
            "images": ["images/a.png"]}
    mutate(item)
    (tmp_path / "sharegpt" / "train.json").write_text(json.dumps([item]))
    with pytest.raises(TrainingError, match=message):
        load_split(tmp_path, "train")


def test_broken_split_file(tmp_path):
    (tmp_path / "sharegpt").mkdir()
    (tmp_path / "sharegpt" / "train.json").write_text("[{")
    with pytest.raises(TrainingError, match="not valid JSON"):
        load_split(tmp_path, "train")


def test_accelerate_config_loads():
    config = load_config_from_file(str(CONFIGS / "accelerate_multi_gpu.yaml"))
    assert config.distributed_type == "MULTI_GPU" and config.mixed_precision == "bf16"


def test_deepspeed_missing_is_a_clear_error():
    if importlib.util.find_spec("deepspeed") is not None:
        pytest.skip("deepspeed is installed here")
    config = TrainConfig(dataset_dir="x", deepspeed=str(CONFIGS / "deepspeed_zero2.json"))
    with pytest.raises(TrainingError, match="pip install deepspeed"):
        config.validate()
