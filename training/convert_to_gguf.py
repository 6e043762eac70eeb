"""Turn a merged Qwen2.5-VL folder into the two GGUF files the chat tab loads, offline, in one command.

    python training/convert_to_gguf.py --model outputs/remud-7b-merged --output outputs/gguf --name remud-7b

1. training/hf_to_gguf.py (ReMUD's own converter, built on the `gguf` package) writes the language model
   as F16 GGUF (NAME-f16.gguf) and the vision encoder + projector as mmproj-NAME-f16.gguf (kept in F16);
2. llama-cpp-python's llama_model_quantize (default params, ftype Q4_K_M) writes NAME-Q4_K_M.gguf;
   the F16 language model is deleted afterwards unless --keep-f16 is given.
In the chat tab, pick NAME-Q4_K_M.gguf as the model and mmproj-NAME-f16.gguf as its mmproj. Nothing is
downloaded and no llama.cpp checkout is needed: `gguf` and llama-cpp-python are ReMUD's [chat] extra.

`--llama-cpp DIR` uses llama.cpp's own convert_hf_to_gguf.py from a checkout instead of step 1 (for
models the bundled converter does not know; the llama-cpp-python wheel does not ship that script).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.errors import TrainingCancelled, TrainingError

CONVERTER = "convert_hf_to_gguf.py"
QUANT_TYPES = {"Q4_K_M": "LLAMA_FTYPE_MOSTLY_Q4_K_M", "Q5_K_M": "LLAMA_FTYPE_MOSTLY_Q5_K_M",
               "Q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0"}


@dataclass(frozen=True)
class GgufFiles:
    model: Path  # the quantized language model
    mmproj: Path  # the vision projector (F16)


def check_model_dir(model_dir: Path) -> None:
    config_file = model_dir / "config.json"
    if not config_file.is_file():
        raise TrainingError(f"{model_dir} has no config.json; give the folder training/merge.py wrote.")
    architectures = json.loads(config_file.read_text(encoding="utf-8")).get("architectures") or []
    if "Qwen2_5_VLForConditionalGeneration" not in architectures:
        raise TrainingError(f"{model_dir} holds {', '.join(architectures) or 'an unknown model'}, not "
                            "Qwen2_5_VLForConditionalGeneration; merge the LoRA adapter first (training/merge.py).")
    if (model_dir / "adapter_config.json").is_file() and not any(model_dir.glob("model*.safetensors")):
        raise TrainingError(f"{model_dir} holds a LoRA adapter only; merge it first with training/merge.py.")


def find_converter(llama_cpp_dir: Path) -> Path:
    script = llama_cpp_dir / CONVERTER
    if not script.is_file():
        raise TrainingError(f"{llama_cpp_dir} is not a llama.cpp checkout (no {CONVERTER}); run `git clone "
                            "https://github.com/ggml-org/llama.cpp` and pass that folder with --llama-cpp.")
    return script


def load_llama_cpp():
    try:
        import llama_cpp  # optional (the chat extra) and slow to load
    except ImportError as exc:
        raise TrainingError("llama-cpp-python is not installed, so the model cannot be quantized; run "
                            "`pip install llama-cpp-python` (or install ReMUD Desktop with its [chat] extra).") \
            from exc
    return llama_cpp


def run_converter(script: Path, model_dir: Path, outfile: Path, mmproj: bool) -> Path:
    """Run convert_hf_to_gguf.py (F16); returns the file it wrote."""
    command = [sys.executable, str(script), str(model_dir), "--outfile", str(outfile), "--outtype", "f16"]
    if mmproj:
        command.append("--mmproj")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise TrainingError(f"{CONVERTER} failed ({tail[0]}); update the llama.cpp checkout and install its "
                            "requirements (pip install -r requirements/requirements-convert_hf_to_gguf.txt).")
    # Some llama.cpp versions prefix the mmproj file name with "mmproj-" themselves.
    for candidate in (outfile, outfile.with_name("mmproj-" + outfile.name)):
        if candidate.is_file():
            return candidate
    raise TrainingError(f"{CONVERTER} finished but {outfile} was not written; check the llama.cpp version.")


def quantize(source: Path, target: Path, quant: str = "Q4_K_M", threads: int | None = None) -> Path:
    """Quantize a GGUF with llama_cpp.llama_model_quantize (default params, the chosen file type)."""
    if quant not in QUANT_TYPES:
        raise TrainingError(f"Quantization {quant} is not offered; use one of {', '.join(QUANT_TYPES)}.")
    if not source.is_file():
        raise TrainingError(f"{source} does not exist; convert the model to GGUF first.")
    llama_cpp = load_llama_cpp()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, QUANT_TYPES[quant])
    params.nthread = threads or os.cpu_count() or 1
    # written under a name of its own and renamed at the end: a failure never costs an earlier model of that name
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(part).encode(), ctypes.byref(params))
    if status != 0 or not part.is_file():
        part.unlink(missing_ok=True)
        raise TrainingError(f"llama.cpp could not quantize {source} (status {status}); check that it is a "
                            "language-model GGUF written by convert_hf_to_gguf.py.")
    os.replace(part, target)
    return target


def load_gguf():
    try:
        import gguf  # optional (the chat extra)
    except ImportError as exc:
        raise TrainingError("The gguf package is not installed, so the model cannot be converted; run `pip install "
                            "gguf` (or install ReMUD Desktop with its [chat] extra).") from exc
    return gguf


def _bundled_step(model_dir: Path, mmproj: bool) -> Callable[[Path], Path]:
    from training import hf_to_gguf  # heavy: safetensors and torch, only when converting

    if mmproj:
        return lambda outfile: hf_to_gguf.write_mmproj(model_dir, outfile)
    return lambda outfile: hf_to_gguf.write_language_model(model_dir, outfile, "f16")


def convert(model_dir: str | Path, llama_cpp_dir: str | Path | None, output_dir: str | Path, name: str,
            quant: str = "Q4_K_M", keep_f16: bool = False, progress: Callable[[str], None] | None = None,
            cancel: Callable[[], bool] | None = None) -> GgufFiles:
    """The whole path: checks first (before any long step), then the language model and the mmproj as F16
    GGUF (ReMUD's converter, or llama.cpp's from `llama_cpp_dir` when given), then the quantization."""
    model_dir, output_dir = Path(model_dir), Path(output_dir)
    check_model_dir(model_dir)
    script = find_converter(Path(llama_cpp_dir)) if llama_cpp_dir is not None else None
    if script is None:
        load_gguf()
    load_llama_cpp()
    if quant not in QUANT_TYPES:
        raise TrainingError(f"Quantization {quant} is not offered; use one of {', '.join(QUANT_TYPES)}.")
    output_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda message: None)
    steps = [("language model", False, output_dir / f"{name}-f16.gguf"),
             ("vision projector", True, output_dir / f"mmproj-{name}-f16.gguf")]
    written: list[Path] = []
    for label, mmproj, outfile in steps:
        if cancel is not None and cancel():
            raise TrainingCancelled("Conversion was cancelled; the files written so far are kept.")
        report(f"Converting the {label} to {outfile.name}")
        if script is not None:
            written.append(run_converter(script, model_dir, outfile, mmproj))
        else:
            written.append(_bundled_step(model_dir, mmproj)(outfile))
    if cancel is not None and cancel():
        raise TrainingCancelled("Conversion was cancelled before quantizing; the F16 files are kept.")
    target = output_dir / f"{name}-{quant}.gguf"
    report(f"Quantizing to {target.name}")
    quantize(written[0], target, quant)
    if not keep_f16:
        written[0].unlink()
    return GgufFiles(model=target, mmproj=written[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Convert a merged Qwen2.5-VL model to GGUF + mmproj, "
                                                 "quantized to Q4_K_M, for the ReMUD chat tab.")
    parser.add_argument("--model", required=True, help="the merged model folder (training/merge.py output)")
    parser.add_argument("--llama-cpp", help="use convert_hf_to_gguf.py of this llama.cpp checkout instead of "
                                            "ReMUD's own converter (not needed for Qwen2.5-VL)")
    parser.add_argument("--output", required=True, help="folder for the .gguf files")
    parser.add_argument("--name", default="remud-qwen2_5_vl-7b", help="file name stem")
    parser.add_argument("--quant", default="Q4_K_M", choices=sorted(QUANT_TYPES))
    parser.add_argument("--keep-f16", action="store_true", help="keep the F16 language-model GGUF")
    args = parser.parse_args(argv)
    try:
        files = convert(args.model, args.llama_cpp, args.output, args.name, args.quant, args.keep_f16,
                        progress=print)
    except TrainingError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Model: {files.model}\nmmproj: {files.mmproj}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
