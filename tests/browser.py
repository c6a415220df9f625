"""Shared helpers for browser tests: a static server for the built site and Debian Chromium."""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import os
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("Chromium not found: install Debian's `chromium` (`.ci/run` does) or set CHROMIUM")


COMPRESSIBLE = (".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".ipynb")


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"
    compress = False

    def log_message(self, *args):  # keep test output clean
        pass

    def translate_path(self, path):
        if self.prefix != "/":
            if not path.startswith(self.prefix):
                return "/nonexistent"
            path = "/" + path[len(self.prefix):]
        return super().translate_path(path)

    def send_head(self):
        """With `compress`, text is sent gzipped, as GitHub Pages does (for realistic transfer sizes)."""
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not (self.compress and path.suffix in COMPRESSIBLE and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve(site: Path, prefix: str = "/", compress: bool = False):
    """Serve `site` on 127.0.0.1 (a free port) under `prefix`; yields the base URL."""
    handler = type("H", (_Handler,), {"prefix": prefix, "compress": compress})
    handler = functools.partial(handler, directory=str(site))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}{prefix}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def launch():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class Watch:
    """Console errors, page errors, every request, requests leaving 127.0.0.1, and requests for the client-side
    MathJax (every formula is typeset at build, so a page that fetches MathJax left one raw) of one page
    object; `reset()` before each navigation when the page is reused."""

    def __init__(self, page):
        self.reset()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._request)

    def reset(self):
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.mathjax: list[str] = []
        self.urls: list[str] = []

    def _request(self, request):
        self.urls.append(request.url)
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if urlparse(request.url).hostname != "127.0.0.1":
            self.foreign.append(request.url)
        if request.url.split("?")[0].endswith("/tex-chtml.js"):
            self.mathjax.append(request.url)
