"""Serve MathJax from the site itself, and locate Mermaid for the build.

MathJax 3.2.2 comes from the PyPI package ``django-static-mathjax`` (only files, Apache-2.0) and is added to
the build as generated files under ``assets/vendor/`` (the client loader only needs it for a formula left
untypeset). Mermaid comes from npm (``package-lock.json``); hooks/mermaid.py renders every diagram at build,
so the site ships none of it. Nothing is copied into git and no page requests a third-party host.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
MERMAID_DIST = ROOT / "node_modules" / "mermaid" / "dist"

# MathJax: the CHTML bundle plus what it loads on demand (TeX extensions, fonts, menu, a11y).
MATHJAX_KEEP = ("tex-chtml.js", "input/", "output/chtml/", "ui/", "a11y/", "sre/", "adaptors/")


def mathjax_dir() -> Path:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise PluginError(
            "MathJax is not installed: the package django-static-mathjax is missing. Run `make setup`."
        )
    es5 = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    if not (es5 / "tex-chtml.js").is_file():
        raise PluginError(f"MathJax tree incomplete: {es5 / 'tex-chtml.js'} not found. Run `make setup`.")
    return es5


def mermaid_version() -> str:
    pkg = MERMAID_DIST.parent / "package.json"
    if not pkg.is_file():
        raise PluginError(
            "Mermaid is not installed (node_modules/mermaid missing). Run `make setup` (it runs `npm ci`)."
        )
    return json.loads(pkg.read_text(encoding="utf-8"))["version"]


def vendor_files() -> list[tuple[str, Path]]:
    """(site path, source file) of every vendored asset, in a stable order."""
    out: list[tuple[str, Path]] = []
    es5 = mathjax_dir()
    for path in sorted(es5.rglob("*")):
        rel = path.relative_to(es5).as_posix()
        if path.is_file() and rel.startswith(MATHJAX_KEEP) and not rel.endswith(".map"):
            out.append((f"assets/vendor/mathjax/{rel}", path))
    return out


def on_files(files: Files, config) -> Files:
    for uri, path in vendor_files():
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
