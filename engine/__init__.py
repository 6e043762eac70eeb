"""ReMUD engine: the whole product without a screen (no Qt anywhere in here)."""

__version__ = "0.1.0"
