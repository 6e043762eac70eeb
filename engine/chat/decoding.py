"""Turning the bytes of generated tokens into text safely (the sampler chain is in llama_adapter)."""

from __future__ import annotations

import codecs


class PieceDecoder:
    """Token bytes -> text; a UTF-8 character split over tokens comes out with the token that completes it."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def decode(self, piece: bytes) -> str:
        return self._decoder.decode(piece)

    def reset(self) -> None:
        self._decoder.reset()
