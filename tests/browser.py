"""Shared helpers for browser tests: a static server for the built site and Debian Chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

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


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def log_message(self, *args):  # keep test output clean
        pass

    def translate_path(self, path):
        if self.prefix != "/":
            if not path.startswith(self.prefix):
                return "/nonexistent"
            path = "/" + path[len(self.prefix):]
        return super().translate_path(path)


@contextlib.contextmanager
def serve(site: Path, prefix: str = "/"):
    """Serve `site` on 127.0.0.1 (a free port) under `prefix`; yields the base URL."""
    handler = type("H", (_Handler,), {"prefix": prefix})
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
