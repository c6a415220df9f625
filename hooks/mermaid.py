"""Mermaid diagrams rendered at build time, in both palettes, so readers download no Mermaid JavaScript.

Mermaid's browser bundle is 224-259 KiB gzip, more than a whole page may weigh. pymdownx.superfences
leaves ``<div class="mermaid-diagram">source</div>``; this hook renders each source twice (light and dark
theme) in headless Chromium (``hooks/mermaid_render.py``, one process per build, started only on a cache
miss) and puts both SVGs in the page: CSS shows the one of the reader's palette, so switching palettes
re-renders nothing. A diagram Mermaid cannot parse fails the build with the page, the line and Mermaid's
message. Results are cached in ``.cache/mermaid`` by source, theme and Mermaid version.

Each diagram is a button-like figure: activating it opens the zoom view (site.js), where the diagram is
shown at its natural size, for diagrams whose text a phone would shrink below reading size.
"""

from __future__ import annotations

import atexit
import hashlib
import html
import json
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

HOOKS = Path(__file__).resolve().parent
ROOT = HOOKS.parent
sys.path.insert(0, str(HOOKS))
from cachefile import cache_dir, write_atomic  # noqa: E402
from pages import source_line  # noqa: E402
from vendor import mermaid_version  # noqa: E402

CACHE_DIR = cache_dir("mermaid")
DIAGRAM = re.compile(r'<div class="mermaid-diagram">(.*?)</div>', re.S)
THEMES = (("light", "default"), ("dark", "dark"))
VERSION = hashlib.sha256((HOOKS / "mermaid_render.py").read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]


def stylesheets() -> list[str]:
    """The stylesheets the renderer lays diagrams out in: Material's and the site's own."""
    import material

    theme = Path(material.__file__).parent / "templates" / "assets" / "stylesheets"
    return [str(next(theme.glob("main.*.min.css"))), str(ROOT / "docs" / "assets" / "stylesheets" / "extra.css")]


class Renderer:
    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def render(self, job: dict) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, str(HOOKS / "mermaid_render.py"), *stylesheets()],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
            atexit.register(self.close)
        self.proc.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise PluginError("the Mermaid renderer (hooks/mermaid_render.py) stopped: is Chromium installed? "
                              "(`tools/ensure-debian.sh`, or set CHROMIUM=/path/to/chrome)")
        return json.loads(line)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


_renderer = Renderer()


ID_ATTR = re.compile(r'(\sid=")([^"]+)(")')


def uniquify_ids(svg: str, prefix: str) -> str:
    """Mermaid prefixes some ids with the render id but not all (edges "L_a0_a1_0", edge labels): two
    diagrams, or the two palettes of one, would repeat them. Prefix every id, and its references."""
    renamed = {}

    def rename(m):
        old = m.group(2)
        if old.startswith(prefix):
            return m.group(0)
        renamed[old] = f"{prefix}-{old}"
        return f"{m.group(1)}{renamed[old]}{m.group(3)}"

    svg = ID_ATTR.sub(rename, svg)
    for old, new in renamed.items():
        svg = svg.replace(f"url(#{old})", f"url(#{new})").replace(f'href="#{old}"', f'href="#{new}"')
    return svg


def diagram_svg(source: str, theme: str, key: str) -> tuple[str | None, str | None]:
    """(svg, error) of one diagram in one theme, from the cache or the renderer."""
    cached = CACHE_DIR / f"{key}-{theme}.svg"
    if cached.is_file():
        return cached.read_text(encoding="utf-8"), None
    render_id = f"m{key}-{theme}"
    out = _renderer.render({"id": render_id, "source": source, "theme": theme})
    if "error" in out:
        return None, out["error"]
    svg = uniquify_ids(out["svg"], render_id)
    write_atomic(cached, svg)
    return svg, None  # the renamed ids, as a warm build reads them from the cache


def figure(key: str, svgs: dict[str, str], label: str) -> str:
    # CSS shows the variant of the reader's palette; the other is display: none (out of the a11y tree too)
    variants = "".join(f'<div class="mermaid-{name}">{svg}</div>' for name, svg in svgs.items())
    zoom = '<button type="button" class="diagram-zoom" aria-haspopup="dialog">放大查看</button>'
    return (f'<div class="mermaid-diagram" data-rendered="build" data-diagram="{key}" role="group" '
            f'aria-label="{html.escape(label, quote=True)}">{variants}{zoom}</div>')


def diagram_label(source: str) -> str:
    """A short accessible name: the diagram's own accTitle, or its first node labels."""
    title = re.search(r"^\s*accTitle\s*:\s*(.+)$", source, re.M)
    if title:
        return title.group(1).strip()
    labels = re.findall(r'\["([^"\]]+)"\]|\("([^")]+)"\)', source)
    words = [re.sub(r"<[^>]+>", "", a or b) for a, b in labels][:4]
    return "示意图：" + "、".join(words) if words else "示意图"


@event_priority(40)  # before hooks/pages.py marks lazy blocks
def on_page_content(content: str, page: Page, config, files):
    if "mermaid-diagram" not in content:
        return content
    version = mermaid_version()
    problems = []

    def replace(m):
        source = html.unescape(m.group(1)).strip()
        key = hashlib.sha256(f"{version}|{VERSION}|{source}".encode()).hexdigest()[:16]
        svgs = {}
        for name, theme in THEMES:
            svg, error = diagram_svg(source, theme, key)
            if error:
                first = source.splitlines()[0] if source else ""
                line = source_line(page, source.splitlines()[1].strip() if len(source.splitlines()) > 1 else first, 0)
                problems.append(f"docs/{page.file.src_uri}:{line}: Mermaid cannot render this diagram: {error}")
                return m.group(0)
            svgs[name] = svg
        return figure(key, svgs, diagram_label(source))

    content = DIAGRAM.sub(replace, content)
    if problems:
        raise PluginError("\n".join(problems))
    return content
