"""What counts as English left in a translated text: Latin-letter words that are not proper
names, formats, units, key names or code (commands, options, file names, paths, placeholders).
Shared by the catalog test and the window walk under zh_CN."""

from __future__ import annotations

import re

# Words a Chinese translation may keep in Latin letters: names, formats, units, keys.
LATIN_ALLOWED = {
    "remud", "pdf", "pdfs", "ocr", "gguf", "mmproj", "api", "url", "urls", "json", "jsonl", "yaml", "csv",
    "parquet", "sqlite", "openai", "gemini", "google", "qwen", "llama", "factory", "hugging", "face",
    "vllm", "sglang", "ollama", "dashscope", "pymupdf", "onnx", "lora", "gpu", "cpu", "cuda", "token",
    "tokens", "dpi", "px", "pt", "kb", "mb", "gb", "ms", "vqa", "qa", "cer", "iou", "nms", "http",
    "https", "id", "uid", "png", "jpeg", "jpg", "ctrl", "shift", "alt", "enter", "tab", "esc", "del",
    "delete", "backspace", "space", "home", "end", "pgup", "pgdown", "cmd", "wait", "x", "ui", "pp",
    "rapidocr", "transformers", "peft", "keyring", "windows", "macos", "linux", "debian", "ubuntu",
    "fedora", "xcb", "qt", "python", "pip", "mtmd", "base", "vl", "utf", "sha", "readme", "zh", "en",
    "gpt", "o", "mcq", "cot", "llamafactory", "huggingface", "safetensors", "q", "k", "m", "s", "v",
    "mac", "gnome", "kde", "sharegpt", "alpaca", "deepspeed", "accelerate", "torch", "onnxruntime",
    "cpp", "desktop", "markdown", "bmp", "webp", "tif", "tiff", "gif", "kib", "mib", "gib", "jaccard",
}
MARKUP = re.compile(r"<[^<>]*>|&[a-z]+;|&#\d+;|%n|%\([a-z_]+\)[a-z]")  # HTML, Qt's %n, Python's %(name)s


# what is code or a literal value, not prose: paths, `spans`, quoted values, {fields}, --options,
# file names, snake_case and dotted.names(...), KEY=value, URLs, NAMES, e-mail-like x@y, remud commands
CODE_SPAN = re.compile("|".join([
    r"(?:~|\.{0,2}/|[A-Za-z]:\\)[^\s，。；：）)]+",
    r"`[^`]*`", r"“[A-Za-z0-9_.,:;/+ -]*”", r"'[^'\s]*'", r"\"[^\"\s]*\"",
    r"\{[^{}]*\}", r"--?[A-Za-z][\w-]*",
    r"\S+\.(?:py|toml|json|jsonl|yaml|yml|sqlite|ts|po|gguf|pdf|csv|png|md|txt)\b",
    r"\w*_\w*", r"\w+(?:\.\w+)+(?:\([^)]*\))?", r"[\w>]*=\S*", r"https?://\S+", r"\S+@\S+",
    r"\b[A-Z][A-Z0-9_]{1,}\b", r"\bremud(?: [a-z-]+){0,3}", r"\b(?:sudo )?(?:apt-file|apt|dnf|pip) [a-z-]+", r"\b\w+/",
]))
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


def english_left(text: str) -> list[str]:
    """Latin-letter words of a translation that are not names, units, keys, markup, code or
    single letters (answer choices A–E, key names)."""
    bare = CODE_SPAN.sub(" ", MARKUP.sub(" ", text))
    return [w for w in WORD.findall(bare) if len(w) > 1 and w.lower().strip("'’") not in LATIN_ALLOWED]


