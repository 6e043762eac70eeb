"""Images sent to a model: their MIME type and data URI."""

from __future__ import annotations

import base64


def image_mime(data: bytes) -> str:
    """The MIME type of PNG, JPEG, WebP or GIF bytes (PNG when unsure)."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return "image/png"


def data_uri(data: bytes) -> str:
    """The image as a `data:<mime>;base64,...` URI."""
    return f"data:{image_mime(data)};base64,{base64.b64encode(data).decode('ascii')}"
