"""Offline chat with a GGUF model (llama.cpp), streaming, with token-counted budget forcing."""

from engine.chat.budget import Action, ActionKind, BudgetController, BudgetMode, BudgetSettings, Phase, Sampling
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
from engine.chat.types import ChatTurn, FinishReason, GenerationResult, ModelSettings, Role, StreamEvent, StreamKind

__all__ = [
    "Action", "ActionKind", "BudgetController", "BudgetMode", "BudgetSettings", "BudgetSettingsError", "ChatEngine",
    "ChatError", "ChatTurn", "ContextSizeError", "ContextTooSmallError", "EngineClosedError", "FinishReason",
    "GenerationResult", "ImageFileError", "ModelFileMissingError", "ModelFormatError", "ModelSettings", "NoVisionError",
    "NotEnoughMemoryError", "Phase", "Role", "Sampling", "StreamEvent", "StreamKind", "VisionProjectorError",
    "WrongArchitectureError",
]
