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
}


# what is code, not prose: paths, `spans`, {fields}, --options, file names, KEY=value, URLs, NAMES, remud commands
CODE_SPAN = re.compile(r"(?:~|\.{0,2}/|[A-Za-z]:\\)[^\s，。；：）)]+|`[^`]*`|\{[^{}]*\}|--?[A-Za-z][\w-]*|\S+\.(?:py|toml|json|jsonl|yaml|sqlite|ts|po|gguf|pdf)\b"
                       r"|[A-Za-z_]+=\S*|https?://\S+|\b[A-Z][A-Z0-9_]{1,}\b|\bremud(?: [a-z-]+){0,2}")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


def english_left(text: str) -> list[str]:
    """Latin-letter words of a translation that are not names, units, keys or code."""
    bare = CODE_SPAN.sub(" ", text)
    return [w for w in WORD.findall(bare) if w.lower().strip("'’") not in LATIN_ALLOWED]


