"""manifest.json: app version, settings, counts and the checksum of every file."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from engine import __version__
from engine.export.images import CropFile
from engine.export.options import ExportOptions
from engine.export.plan import ExportPlan
from engine.export.splits import Split

MANIFEST = "manifest.json"
APP = "ReMUD Desktop"  # the manifest's "app": marks a folder as a ReMUD export (safe to overwrite)
TEMP_MARKER = ".remud-export-temp"  # in each .partial-/.old- folder an export makes: proves whose it is


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def options_dict(options: ExportOptions, plan: ExportPlan) -> dict:
    data = asdict(options)
    test_file = options.decontaminate
    # the test file by name and the checksum of the bytes it was read from: no user paths beyond the project's
    data["decontaminate"] = {"file": test_file.name, "sha256": plan.test_file_sha256} if test_file else None
    return data


def export_files(path: Path) -> dict | None:
    """The files listed by `path`, a manifest.json a ReMUD export wrote; None when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("app") == APP else None
    return files if isinstance(files, dict) else None


def build_manifest(out_dir: Path, project_folder: Path, options: ExportOptions, plan: ExportPlan,
                   crops: dict[int, CropFile], written: dict[Split, int], renders: int) -> dict:
    """`written`: records per split actually written. Crop checksums come from the crop cache."""
    image_files = {c.path: c for c in crops.values()}
    files: dict[str, dict] = {}
    for root, _, names in os.walk(out_dir):
        for name in sorted(names):
            path = Path(root) / name
            rel = path.relative_to(out_dir).as_posix()
            if rel in (MANIFEST, TEMP_MARKER):
                continue
            crop = image_files.get(rel)
            sha = crop.sha256 if crop else file_sha256(path)
            files[rel] = {"sha256": sha, "size": path.stat().st_size}
    return {
        "app": APP,
        "app_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "project": str(project_folder),
        "settings": options_dict(options, plan),
        "counts": [{"kind": k, "language": lang, "split": s, "records": n} for (k, lang, s), n in plan.counts.items()],
        "records": plan.records,
        "records_per_split": written,
        "conversations": plan.conversations,
        "images": len(image_files),
        "units_per_split": plan.documents,
        "dropped_duplicates": plan.dropped_duplicates,
        "dropped_contaminated": plan.dropped_contaminated,
        "dropped_image_leaks": plan.dropped_image_leaks,
        "crops_rendered": renders,
        "warnings": list(plan.warnings),
        "files": dict(sorted(files.items())),
    }


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
