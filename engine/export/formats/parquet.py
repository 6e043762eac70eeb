"""Parquet files written in row groups (readable by Hugging Face datasets and pandas)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP = 2000

SCHEMA = pa.schema([
    ("id", pa.string()), ("record_id", pa.int64()), ("split", pa.string()), ("kind", pa.string()),
    ("language", pa.string()), ("reasoning", pa.bool_()), ("question", pa.string()), ("thinking", pa.string()),
    ("answer", pa.string()), ("options", pa.list_(pa.string())), ("correct", pa.string()), ("status", pa.string()),
    ("score", pa.float64()), ("synthesizer", pa.string()), ("model", pa.string()), ("prompt_version", pa.string()),
    ("flags", pa.list_(pa.string())), ("created_at", pa.string()), ("edited_at", pa.string()),
    ("figure_id", pa.int64()), ("doc_id", pa.int64()), ("doc_sha256", pa.string()), ("doc_title", pa.string()),
    ("page", pa.int64()), ("image", pa.string()), ("images", pa.list_(pa.string())), ("conversation", pa.string()),
    ("prompt", pa.string()), ("response", pa.string()),
])


class ParquetFile:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(str(path), SCHEMA, compression="zstd")
        self._rows: list[dict] = []

    def write(self, row: dict) -> None:
        self._rows.append(row)
        if len(self._rows) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=SCHEMA))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()  # a split without records still gets a zero-row file with the schema
