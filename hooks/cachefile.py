"""Atomic writes for the build caches (.cache/…), which builds running at the same time share (the test
suite runs on every core, and its fault builds share the notebook cache): each entry is written to a
temporary file of its own writer, then renamed into place, so no reader sees half an entry and no two
writers share a temporary name."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cache_dir(name: str) -> Path:
    """`.cache/<name>` of the project, or `<BAGU_CACHE>/<name>` when BAGU_CACHE moves every build cache
    (the reproducibility test builds from cold with it)."""
    return Path(os.environ.get("BAGU_CACHE") or ROOT / ".cache") / name


def temporary(path: Path) -> Path:
    """A temporary name beside `path`, unique to this process and thread."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(path)
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    tmp.replace(path)


def read_entries(path: Path, version: str) -> dict:
    """The entries of a versioned JSON cache file (``{"version": …, "entries": {…}}``), or {} when the file
    is absent, unreadable, malformed or written by another version: the caller then computes afresh."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if isinstance(data, dict) and data.get("version") == version and isinstance(data.get("entries"), dict):
        return data["entries"]
    return {}


def write_entries(path: Path, version: str, entries: dict) -> None:
    write_atomic(path, json.dumps({"version": version, "entries": entries}, ensure_ascii=False,
                                  separators=(",", ":")))
