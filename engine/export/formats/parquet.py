"""Parquet files written in row groups (readable by Hugging Face datasets and pandas).

`image` is a Hugging Face `datasets.Image` feature: a struct of the crop's PNG bytes and its path relative
to the export folder, declared in the schema metadata (the `huggingface` key, as `datasets` itself writes
it), so `datasets` decodes it to a PIL image wherever the file is read. The path is also kept as text in
`image_path` (and `images`, the list the JSONL rows have).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP = 256  # rows carry their crop's bytes: a row group stays a few tens of MB

IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])  # datasets.Image's storage
HF_FEATURES = {"info": {"features": {"image": {"_type": "Image"}}}}  # the other columns follow their Arrow types

SCHEMA = pa.schema([
    ("id", pa.string()), ("record_id", pa.int64()), ("split", pa.string()), ("kind", pa.string()),
    ("language", pa.string()), ("reasoning", pa.bool_()), ("question", pa.string()), ("thinking", pa.string()),
    ("answer", pa.string()), ("options", pa.list_(pa.string())), ("correct", pa.string()), ("status", pa.string()),
    ("score", pa.float64()), ("synthesizer", pa.string()), ("model", pa.string()), ("prompt_version", pa.string()),
    ("flags", pa.list_(pa.string())), ("created_at", pa.string()), ("edited_at", pa.string()),
    ("figure_id", pa.int64()), ("doc_id", pa.int64()), ("doc_sha256", pa.string()), ("doc_title", pa.string()),
    ("page", pa.int64()), ("image", IMAGE_TYPE), ("image_path", pa.string()), ("images", pa.list_(pa.string())),
    ("conversation", pa.string()), ("prompt", pa.string()), ("response", pa.string()),
], metadata={b"huggingface": json.dumps(HF_FEATURES).encode()})


class ParquetFile:
    """One split's Parquet file; `root` is the export folder the rows' image paths are relative to."""

    def __init__(self, path: Path, root: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._root = root
        self._writer = pq.ParquetWriter(str(path), SCHEMA, compression="zstd")
        self._rows: list[dict] = []
        self._bytes: dict[str, bytes] = {}  # the crops of the current row group, read once each

    def write(self, row: dict) -> None:
        image = row.get("image")
        if image:
            data = self._bytes.get(image)
            if data is None:
                data = self._bytes[image] = (self._root / image).read_bytes()
            row = {**row, "image": {"bytes": data, "path": image}, "image_path": image}
        else:
            row = {**row, "image": None, "image_path": None}
        self._rows.append(row)
        if len(self._rows) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=SCHEMA))
            self._rows = []
            self._bytes = {}

    def close(self) -> None:
        self._flush()
        self._writer.close()  # a split without records still gets a zero-row file with the schema
