"""Offline chat with a GGUF model (llama.cpp), streaming, with token-counted budget forcing."""

from engine.chat.budget import Action, BudgetController, BudgetSettings, Sampling
from engine.chat.engine import ChatEngine
from engine.chat.errors import (
    BudgetSettingsError,
    ChatError,
    ContextSizeError,
    ContextTooSmallError,
    EngineClosedError,
    ImageFileError,
    ModelFileMissingError,
    ModelFormatError,
    NotEnoughMemoryError,
    NoVisionError,
    VisionProjectorError,
    WrongArchitectureError,
)
from engine.chat.types import ChatTurn, GenerationResult, ModelSettings, StreamEvent

__all__ = [
    "Action", "BudgetController", "BudgetSettings", "BudgetSettingsError", "ChatEngine", "ChatError", "ChatTurn",
    "ContextSizeError", "ContextTooSmallError", "EngineClosedError", "GenerationResult", "ImageFileError", "ModelFileMissingError",
    "ModelFormatError", "ModelSettings", "NoVisionError", "NotEnoughMemoryError", "Sampling", "StreamEvent",
    "VisionProjectorError", "WrongArchitectureError",
]
