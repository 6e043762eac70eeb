"""Typed errors of the offline chat engine; each message is one sentence that says what to do."""

from __future__ import annotations

from engine.errors import RemudError
from engine.i18n import tr


class ChatError(RemudError):
    """Base class for everything the chat engine raises on purpose."""


class ModelFileMissingError(ChatError):
    pass


class ModelFormatError(ChatError):
    """The file is not a GGUF model llama.cpp can run (wrong format, damaged, unsupported)."""


class WrongArchitectureError(ModelFormatError):
    """A GGUF of the wrong kind: e.g. a vision projector chosen as the model, or an unknown architecture."""


class VisionProjectorError(ChatError):
    """The mmproj file is missing, is not a vision projector, or does not fit the model."""


class NoVisionError(ChatError):
    """An image was attached but the loaded model cannot see (no mmproj)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or tr("This model cannot see images: load it together with its vision projector "
                                       "(the mmproj .gguf next to it), or send the question without the image."))


class ContextTooSmallError(ChatError):
    pass


class ContextSizeError(ChatError):
    """A context size the model cannot be loaded with (0, negative, or far beyond what it was trained for)."""


class NotEnoughMemoryError(ChatError):
    pass


class ImageFileError(ChatError):
    """An attached image that cannot be read."""


class BudgetSettingsError(ChatError):
    """Thinking-budget settings that contradict each other (e.g. minimum above maximum)."""


class EngineClosedError(ChatError):
    pass


class DecodeError(ChatError):
    """llama.cpp could not evaluate tokens (no room left in the KV cache, out of memory)."""
