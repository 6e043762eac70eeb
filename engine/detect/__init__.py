"""Figure detectors: one protocol, a registry of detector cards (resources/detectors.toml)."""

from engine.detect.base import Box, Detector

__all__ = ["Box", "Detector"]
