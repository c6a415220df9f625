"""Code highlighting remembered between builds.

Pygments is the largest single cost of a warm build (about a fifth of it: some 1 100 code blocks, most of
them notebook cells that are unchanged from build to build). This hook wraps pymdownx.highlight's
``Highlight.highlight`` with a cache keyed on everything that call depends on: the code, every argument,
the highlighter's settings, and the versions of Pygments, pymdownx and this file. The HTML is the same
bytes Pygments would produce (the reproducibility test builds with every cache cold and compares).

A block whose result went through Markdown's HTML stash (a block title) is not cached: its placeholder is
only valid inside its own page. The cache is one JSON file, ``.cache/highlight/blocks.json`` (or under
``BAGU_CACHE``); each build keeps only the entries it used.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
import threading
from pathlib import Path

import pygments
import pymdownx
from pymdownx import highlight as pymdownx_highlight

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))
from cachefile import cache_dir, read_entries, write_entries  # noqa: E402

CACHE_FILE = cache_dir("highlight") / "blocks.json"
SETTINGS = ("guess_lang", "pygments_style", "use_pygments", "noclasses", "linenums", "linenums_style",
            "linenums_special", "linenums_class", "language_prefix", "code_attr_on_pre", "auto_title",
            "line_spans", "line_anchors", "anchor_linenums", "pygments_lang_class", "stripnl", "default_lang",
            "title_mode", "auto_title_map", "extend_pygments_lang")
VERSION = hashlib.sha256(Path(__file__).read_bytes() + f"|{pygments.__version__}|{pymdownx.__version__}".encode()).hexdigest()[:16]
STASH_MARK = "\x02"  # Markdown's placeholders (htmlStash) start with STX

_lock = threading.Lock()
_stored: dict[str, str] = {}
_used: dict[str, str] = {}
_original = pymdownx_highlight.Highlight.highlight


def _key(self, args, kwargs) -> str:
    settings = {name: getattr(self, name, None) for name in SETTINGS}
    payload = json.dumps([VERSION, settings, list(args), sorted(kwargs.items())], default=repr, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@functools.wraps(_original)
def _highlight(self, *args, **kwargs):
    if kwargs.get("title") is not None or getattr(self, "auto_title", False):
        return _original(self, *args, **kwargs)
    key = _key(self, args, kwargs)
    with _lock:
        hit = _stored.get(key)
    if hit is None:
        hit = _original(self, *args, **kwargs)
        if STASH_MARK in hit:
            return hit
    with _lock:
        _used[key] = hit
    return hit


def on_config(config):
    _stored.clear()
    _used.clear()
    _stored.update(read_entries(CACHE_FILE, VERSION))  # none yet, or another version's: highlight everything
    pymdownx_highlight.Highlight.highlight = _highlight
    return config


def on_post_build(config):
    with _lock:
        blocks = dict(sorted(_used.items()))
    if blocks != _stored:
        write_entries(CACHE_FILE, VERSION, blocks)
