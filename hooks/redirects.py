"""Keep old links alive: page and anchor redirects declared in ``redirects.yml``.

``pages``: ``old/page.md: new/page.md`` writes a small HTML page at the old URL that forwards to the
new one (keeping ``#fragment``, and mapping renamed anchors). ``anchors``: ``page.md#old-id:
other/page.md#new-id`` makes the old fragment forward, on the page that used to hold it. Targets are
validated at build time: a redirect to a missing page or id fails the build.
"""

from __future__ import annotations

import html
import json
import posixpath
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "redirects.yml"

_pages: dict[str, str] = {}
_anchors: dict[str, str] = {}
_files: Files | None = None
_present: dict[str, set[str]] = {}


def load() -> tuple[dict[str, str], dict[str, str]]:
    if not CONFIG.is_file():
        return {}, {}
    try:
        data = yaml.safe_load(CONFIG.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PluginError(f"redirects.yml: invalid YAML: {exc}") from None
    pages, anchors = data.get("pages") or {}, data.get("anchors") or {}
    for key in anchors:
        if "#" not in key or "#" not in anchors[key]:
            raise PluginError(f"redirects.yml: anchor redirect {key!r} -> {anchors[key]!r} needs page.md#id on both sides")
    return dict(pages), dict(anchors)


def on_config(config):
    pages, anchors = load()
    _pages.clear(), _pages.update(pages)
    _anchors.clear(), _anchors.update(anchors)
    return config


def on_files(files: Files, config):
    global _files
    _files = files
    for old, new in _pages.items():
        if files.get_file_from_path(old) is not None:
            raise PluginError(f"redirects.yml: {old!r} still exists in docs/; remove the page or the redirect")
        if files.get_file_from_path(new.split("#")[0]) is None:
            raise PluginError(f"redirects.yml: redirect {old!r} -> {new!r}: target page does not exist")
    for old, new in _anchors.items():
        for side in (old, new):
            if files.get_file_from_path(side.split("#")[0]) is None:
                raise PluginError(f"redirects.yml: anchor redirect {old!r} -> {new!r}: {side.split('#')[0]!r} does not exist")
    return files


def _url(src: str) -> str:
    page_src, _, frag = src.partition("#")
    file = _files.get_file_from_path(page_src)
    return file.url + (f"#{frag}" if frag else "")


def _relative(from_url: str, to_url: str) -> str:
    base = from_url if from_url.endswith("/") or not from_url else posixpath.dirname(from_url) + "/"
    path, _, frag = to_url.partition("#")
    rel = posixpath.relpath(path or ".", base or ".")
    if path.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return rel + (f"#{frag}" if frag else "")


def on_page_content(content: str, page: Page, config, files):
    _present[page.file.src_uri] = set(page.present_anchor_ids)
    return content


def on_post_page(output: str, page: Page, config):
    mapping = {
        old.split("#", 1)[1]: _relative(page.url, _url(new))
        for old, new in _anchors.items()
        if old.split("#", 1)[0] == page.file.src_uri
    }
    if not mapping:
        return output
    tag = f'<script type="application/json" id="anchor-redirects">{json.dumps(mapping)}</script>'
    return output.replace("</body>", tag + "\n</body>", 1)


def on_post_build(config):
    for old, new in _anchors.items():
        page_src, _, frag = new.partition("#")
        if frag not in _present.get(page_src, set()):
            raise PluginError(f"redirects.yml: anchor redirect {old!r} -> {new!r}: id {frag!r} not found on that page")
    site = Path(config["site_dir"])
    for old, new in sorted(_pages.items()):
        stem = old[: -len(".md")] if old.endswith(".md") else old
        old_url = "" if stem in ("index", "") else (stem[: -len("/index")] if stem.endswith("/index") else stem) + "/"
        target = _relative(old_url, _url(new))
        anchors = {
            o.split("#", 1)[1]: _relative(old_url, _url(n)) for o, n in _anchors.items() if o.split("#", 1)[0] == old
        }
        out = site / old_url / "index.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        canonical = config["site_url"].rstrip("/") + "/" + _url(new) if config["site_url"] else target
        out.write_text(
            "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\n"
            f"<title>已移动</title><link rel=\"canonical\" href=\"{html.escape(canonical)}\">\n"
            f"<meta http-equiv=\"refresh\" content=\"0; url={html.escape(target)}\">\n"
            f"<script>var m={json.dumps(anchors)},h=location.hash.slice(1);"
            f"location.replace(m[h]||({json.dumps(target)}+location.hash));</script>\n"
            f"</head><body><p>本页已移动到 <a href=\"{html.escape(target)}\">新地址</a>。</p></body></html>\n",
            encoding="utf-8",
        )
