"""Execute the jupytext notebooks at build time and render them as ordinary site pages.

mkdocs-jupyter finds the notebooks (its ``include`` patterns) and owns their settings (``execute``,
``allow_errors``, ``kernel_name``). This hook replaces its converter, because the default one inlines
~570 KB of JupyterLab CSS per page, drops Chinese heading ids, leaves math untypeset, and caches on the
notebook's bytes only. Here:

* each notebook is executed with nbclient; a failing cell fails the build naming file, cell and line;
* kernels are forked from one process that has imported ipykernel, NumPy and Matplotlib
  (hooks/forkkernel.py), so a kernel starts in a fraction of the 1.1 s a fresh one takes;
* the result is cached under ``.cache/notebooks`` keyed on the notebook, every ``snippets`` module it
  imports (transitively), the plot style, this file and forkkernel.py, so a Markdown edit re-executes nothing and a
  snippet edit re-executes only the notebooks that import it;
* the executed notebook becomes Markdown that MkDocs renders with the site's own extensions
  (explicit heading ids, MathJax, validated links and anchors, clean search entries);
* figures are published as deterministic SVG files ``<name>.figN.svg`` and the executed notebook as
  ``<name>.ipynb`` for download.

Set ``BAGU_NOTEBOOKS=skip`` to drop notebooks from the build (used by ``make bench`` as the baseline),
``BAGU_NB_CACHE=DIR`` to use another notebook cache, or ``BAGU_CACHE=DIR`` to move every build cache
(notebooks, formulas, diagrams: the reproducibility test builds from cold with it).
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.notebooks")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))
from cachefile import cache_dir, write_atomic  # noqa: E402
from forkkernel import kernel_manager  # noqa: E402

SNIPPETS = ROOT / "snippets"
CACHE_DIR = Path(os.environ.get("BAGU_NB_CACHE") or cache_dir("notebooks"))
STYLE = ROOT / "figs" / "bagu.mplstyle"
KERNELS = ROOT / "hooks" / "forkkernel.py"  # how kernels start: part of the cache key, as this file is
TIMEOUT = 120  # seconds per cell
STARTUP_TIMEOUT = 300  # seconds for a kernel to start: a loaded 2-core machine can take minutes

SETUP_CODE = f"""
import sys, warnings
sys.path.insert(0, {str(ROOT)!r})
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot as plt
from matplotlib_inline.backend_inline import set_matplotlib_formats
set_matplotlib_formats("svg")
plt.style.use({str(STYLE)!r})
"""


@dataclass
class Rendered:
    markdown: str
    figures: list[tuple[str, str]] = field(default_factory=list)  # (file name, svg text)
    ipynb: str = ""


_results: dict[str, Rendered] = {}
_AST_LOCK = threading.Lock()


# --- helpers ---------------------------------------------------------------------------------------


def _plugin(config):
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None:
        raise PluginError("hooks/notebooks.py needs the mkdocs-jupyter plugin in mkdocs.yml")
    return plugin


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


_IMPORTS: dict[tuple[Path, str], list[tuple[int, str]]] = {}  # per build (cleared in on_files)
_IMPORTS_LOCK = threading.Lock()


def snippet_imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, module) for every ``snippets.*`` import in a Python file. Memoized for the build on the path
    and text: a snippet that many notebooks import is parsed once, not once per notebook."""
    source = path.read_text(encoding="utf-8") if source is None else source
    with _IMPORTS_LOCK:
        known = _IMPORTS.get((path, source))
    if known is None:
        known = _parse_imports(path, source)
        with _IMPORTS_LOCK:
            _IMPORTS[(path, source)] = known
    return list(known)


def _parse_imports(path: Path, source: str) -> list[tuple[int, str]]:
    try:
        with _AST_LOCK:  # CPython 3.11's parser is not safe to run in several threads at once (gh-106905)
            tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise PluginError(f"{_rel(path)}:{exc.lineno}: syntax error: {exc.msg}") from None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "snippets"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "snippets":
                found.append((node.lineno, node.module))
                # `from snippets.topic import module` imports a module, not a name.
                for alias in node.names:
                    candidate = ROOT / Path(*node.module.split("."), alias.name + ".py")
                    if candidate.is_file():
                        found.append((node.lineno, f"{node.module}.{alias.name}"))
    return found


def snippet_dependencies(path: Path, source: str | None = None) -> list[Path]:
    """Every snippet file a notebook imports, transitively; a missing one is a build error."""
    seen: dict[Path, None] = {}
    todo = [(path, source)]
    while todo:
        current, text = todo.pop()
        for line, module in snippet_imports(current, text):
            parts = module.split(".")
            if len(parts) == 1:
                continue  # `import snippets` alone
            file = ROOT / Path(*parts[:-1], parts[-1] + ".py")
            if not file.is_file():
                if (ROOT / Path(*parts)).is_dir():
                    continue  # a topic package; its modules are resolved by their own imports
                raise PluginError(
                    f"{_rel(current)}:{line}: imports {module}, but {_rel(file)} does not exist"
                )
            if file not in seen:
                seen[file] = None
                todo.append((file, None))
    return sorted(seen)


def cache_key(path: Path, source: str, kernel: str, allow_errors: bool) -> str:
    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    h.update(KERNELS.read_bytes())
    h.update(STYLE.read_bytes())
    # the path too: the rendering names the notebook's figures and download, so two notebooks with the
    # same text at two paths (tools/triple.py's copies) must not share an entry
    h.update(f"{_rel(path)}|{kernel}|{allow_errors}".encode())
    h.update(source.encode("utf-8"))
    for dep in snippet_dependencies(path, source):
        h.update(_rel(dep).encode())
        h.update(dep.read_bytes())
    return h.hexdigest()


def cell_lines(source: str) -> list[int]:
    """1-based line number where each jupytext percent cell starts."""
    starts = [i + 1 for i, line in enumerate(source.splitlines()) if line.startswith("# %%")]
    return starts or [1]


# `#| alt: 描述` lines in a code cell give the alt text of the cell's figures, in order; they are not shown
# in the rendered code.
ALT_LINE = re.compile(r"^#\| alt:(.*)$\n?", re.M)

_SVG_META = re.compile(r"\s*<metadata>.*?</metadata>", re.S)


_SVG_SIZE = re.compile(r'<svg[^>]*\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"')


def svg_size(svg: str) -> tuple[int, int]:
    """Width and height in CSS px of a matplotlib SVG (sizes in pt): the <img> reserves its box."""
    m = _SVG_SIZE.search(svg)
    return (round(float(m.group(1)) * 4 / 3), round(float(m.group(2)) * 4 / 3)) if m else (640, 427)


def clean_svg(svg: str) -> str:
    """Deterministic SVG: no creation date metadata (ids are fixed by svg.hashsalt in the style)."""
    return _SVG_META.sub("", svg)


# --- execution ---------------------------------------------------------------------------------


def execute(path: Path, source: str, kernel: str, allow_errors: bool):
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    nb = jupytext.reads(source, fmt="py:percent")
    lines = cell_lines(source)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP_CODE))
    # Kernels talk over Unix sockets in a private directory, not TCP: parallel builds (tests, several
    # checkouts) then never race for the same free port, which made a kernel die at start under load.
    sockets = tempfile.mkdtemp(prefix="bagu-kernel-")
    # forked from a process that has imported ipykernel, NumPy and Matplotlib once (hooks/forkkernel.py)
    km = kernel_manager(kernel, transport="ipc", ip=os.path.join(sockets, "k"))
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=kernel,
        timeout=TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        allow_errors=allow_errors,
        shutdown_kernel="immediate",  # the outputs are in; nothing to wait for
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    try:
        return _run_cells(client, nb, path, lines)
    finally:
        if km.has_kernel:  # a kernel that failed to start, or a cleanup that raised
            run_sync(km.shutdown_kernel)(now=True)
        shutil.rmtree(sockets, ignore_errors=True)


def _run_cells(client, nb, path: Path, lines: list[int]):
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    # cleanup_kc: the client did not create the kernel manager (km= above), so by default it would leave the
    # kernel running until MkDocs exits; a clean build then held ~100 idle kernels (8 GB) at its end
    with client.setup_kernel(cleanup_kc=True):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            number = index  # the setup cell is 0, so notebook cells are numbered from 1
            line = lines[number - 1] if 0 < number <= len(lines) else 1
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                # the kernel process ended inside the cell: a crash in native code, os._exit, out of memory
                process = getattr(client.km.provisioner, "process", None)
                code = process.poll() if process is not None else None
                raise PluginError(
                    f"{_rel(path)}:{line}: cell {number}: the kernel died while running it"
                    f"{f' (exit code {code})' if code is not None else ''}\n"
                    + textwrap.indent(cell.source.strip()[:600], "    | ")
                ) from None
            except CellExecutionError:
                err = next((o for o in cell.outputs if o.get("output_type") == "error"), {})
                what = f"{err.get('ename', 'Error')}: {err.get('evalue', '')}".strip()
                if number == 0:
                    raise PluginError(f"{_rel(path)}: notebook setup failed: {what}") from None
                raise PluginError(
                    f"{_rel(path)}:{line}: cell {number} raised {what}\n"
                    + textwrap.indent(cell.source.strip()[:600], "    | ")
                ) from None
    nb.cells.pop(0)
    traceback_problems(path, lines, nb)
    return nb


def traceback_problems(path: Path, lines: list[int], nb) -> None:
    """A cell that caught an exception and printed its traceback (or whose output is an error) did not
    raise, but the page would show a failure: that fails the build too."""
    for number, cell in enumerate(nb.cells, 1):
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            text = output.get("text", "") if kind == "stream" else ""
            if kind == "error" or (kind == "stream" and "Traceback (most recent call last)" in text):
                line = lines[number - 1] if number <= len(lines) else 1
                what = output.get("ename") or "a printed traceback"
                raise PluginError(f"{_rel(path)}:{line}: cell {number} output contains {what}; "
                                  "a notebook must not show a failure it did not raise")


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stdout/stderr messages: the kernel may split one print into several, and
    how it splits varies from run to run (builds must be byte-identical)."""
    merged: list = []
    for output in outputs:
        if (output.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == output.get("name")):
            merged[-1]["text"] += output.get("text", "")
        else:
            merged.append(output)
    return merged


def bundle_cell(path: Path):
    """The first cell of the downloadable .ipynb: it writes the snippet modules the notebook imports
    (transitively) and the plot style next to it, so the notebook runs outside the repository."""
    files = {_rel(dep): dep.read_text(encoding="utf-8") for dep in snippet_dependencies(path)}
    style = STYLE.read_text(encoding="utf-8")
    source = (
        "# 这个单元把本 notebook 用到的仓库代码（snippets/ 下的模块）和绘图样式写到当前目录，\n"
        "# 使下载的 notebook 不依赖仓库也能运行；已存在的文件不会被覆盖。\n"
        "import pathlib\n"
        f"_FILES = {json.dumps(files, ensure_ascii=False, indent=1, sort_keys=True)}\n"
        "for _name, _text in _FILES.items():\n"
        "    _file = pathlib.Path(_name)\n"
        "    _file.parent.mkdir(parents=True, exist_ok=True)\n"
        "    if not _file.exists():\n"
        "        _file.write_text(_text, encoding='utf-8')\n"
        f"pathlib.Path('bagu.mplstyle').write_text({style!r}, encoding='utf-8')\n"
        "import matplotlib.pyplot as plt\n"
        "plt.style.use('bagu.mplstyle')\n"
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.id = "bundle"
    return cell


def render(path: Path, nb, src_uri: str) -> Rendered:
    stem = path.stem
    out: list[str] = []
    figures: list[tuple[str, str]] = []
    front = ""
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            text = cell.source
            if index == 0 and text.startswith("---"):
                end = text.find("\n---", 3)
                if end < 0:
                    raise PluginError(f"{_rel(path)}:1: front matter in the first cell is not closed with ---")
                front, text = text[: end + 4] + "\n", text[end + 4 :]
            out.append(text.strip())
            continue
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        alts = [m.group(1).strip() for m in ALT_LINE.finditer(cell.source)]
        shown = ALT_LINE.sub("", cell.source).strip("\n")
        if shown.strip():
            out.append(f"```python\n{shown.rstrip()}\n```")
        cell.outputs = coalesce_streams(cell.get("outputs", []))
        for output in cell.outputs:
            kind = output.get("output_type")
            if kind == "stream":
                text = output.get("text", "").rstrip()
                if text:
                    cls = "nb-output" if output.get("name") == "stdout" else "nb-output nb-stderr"
                    out.append(f'``` {{ .text .{" .".join(cls.split())} }}\n{text}\n```')
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                if "image/svg+xml" in data:
                    name = f"{stem}.fig{len(figures) + 1}.svg"
                    svg = data["image/svg+xml"]
                    svg = clean_svg(svg if isinstance(svg, str) else "".join(svg))
                    figures.append((name, svg))
                    data["image/svg+xml"] = svg
                    alt = alts.pop(0) if alts else f"{stem} 图 {len(figures)}"  # tests flag the fallback
                    alt = alt.replace("[", "［").replace("]", "］")
                    w, h = svg_size(svg)
                    out.append(f'![{alt}]({name}){{ .nb-figure width="{w}" height="{h}" }}')
                elif "image/png" in data:
                    raise PluginError(
                        f"{_rel(path)}: cell {index + 1} produced a PNG; figures must be SVG (use plt.show())"
                    )
                elif "text/plain" in data:
                    out.append(f"``` {{ .text .nb-output }}\n{data['text/plain'].rstrip()}\n```")
            elif kind == "error":
                tb = "\n".join(output.get("traceback", []))
                tb = re.sub(r"\x1b\[[0-9;]*m", "", tb)
                out.append(f"``` {{ .text .nb-output .nb-error }}\n{tb}\n```")
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    download = f"{stem}.ipynb"
    footer = (
        f'\n\n---\n\n[:material-download: 下载 notebook（{download}）]({download}){{ .md-button download }}'
        f" 本页由 `{src_uri}` 在构建时执行生成；下载的 notebook 自带它用到的 `snippets` 代码与绘图样式，"
        "在任意目录都能单独运行（需要 numpy 与 matplotlib）。"
        "\n{: data-search-exclude }"
    )
    markdown = front + "\n\n".join(out) + footer + "\n"
    nb.cells.insert(0, bundle_cell(path))
    ipynb = json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    return Rendered(markdown=markdown, figures=figures, ipynb=ipynb)


def build_one(path: Path, src_uri: str, kernel: str, allow_errors: bool, execute_nb: bool) -> Rendered:
    source = path.read_text(encoding="utf-8")
    key = cache_key(path, source, kernel, allow_errors) + ("" if execute_nb else "-noexec")
    cached = CACHE_DIR / f"{key}.json"
    if cached.is_file():
        data = json.loads(cached.read_text(encoding="utf-8"))
        return Rendered(data["markdown"], [tuple(f) for f in data["figures"]], data["ipynb"])
    started = time.monotonic()
    if execute_nb:
        nb = execute(path, source, kernel, allow_errors)
    else:
        nb = jupytext.reads(source, fmt="py:percent")
    result = render(path, nb, src_uri)
    log.info("Executed notebook %s in %.1f s", _rel(path), time.monotonic() - started)
    write_atomic(cached, json.dumps({"markdown": result.markdown, "figures": result.figures, "ipynb": result.ipynb}))
    return result


# --- MkDocs events ------------------------------------------------------------------------------


@event_priority(-50)  # after mkdocs-jupyter has wrapped the notebook files
def on_files(files: Files, config) -> Files:
    plugin = _plugin(config)
    notebooks = [f for f in files if f.abs_src_path and plugin.should_include(f)]
    if os.environ.get("BAGU_NOTEBOOKS") == "skip":
        for f in notebooks:
            files.remove(f)
        _results.clear()
        return files
    _IMPORTS.clear()  # a snippet module created or removed since the last build (`mkdocs serve`) is seen
    settings = plugin.config
    kernel = settings["kernel_name"] or "python3"
    jobs = {}
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for f in notebooks:
            jobs[f.src_uri] = pool.submit(
                build_one, Path(f.abs_src_path), f.src_uri, kernel, settings["allow_errors"], settings["execute"]
            )
    _results.clear()
    for src_uri, job in sorted(jobs.items()):
        _results[src_uri] = job.result()  # re-raises the first failure with its message
    for src_uri, result in sorted(_results.items()):
        folder = src_uri.rsplit("/", 1)[0] + "/" if "/" in src_uri else ""
        for name, svg in result.figures:
            files.append(File.generated(config, folder + name, content=svg))
        stem = Path(src_uri).stem
        files.append(File.generated(config, f"{folder}{stem}.ipynb", content=result.ipynb))
    return files


@event_priority(-50)
def on_pre_page(page: Page, config, files: Files):
    if page.file.src_uri in _results and "render" in page.__dict__:
        del page.render  # undo mkdocs-jupyter's converter: render our Markdown like any page
    return page


def on_page_read_source(page: Page, config):
    result = _results.get(page.file.src_uri)
    return result.markdown if result else None
