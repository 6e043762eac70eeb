"""Model backends for evaluation: a local GGUF model or an OpenAI-compatible endpoint."""

from engine.eval.backends.base import Backend, SampleOutput

__all__ = ["Backend", "SampleOutput"]
