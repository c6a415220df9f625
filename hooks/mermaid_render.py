"""Render Mermaid diagrams to SVG in headless Chromium (run by hooks/mermaid.py as a subprocess).

stdin: one JSON job per line, {"id": "...", "source": "...", "theme": "default" | "dark"};
stdout: one JSON line per job, {"svg": "..."} or {"error": "..."}.

The diagram is laid out inside the site's own stylesheets (Material's main CSS and extra.css, an
``article.md-typeset`` container the width of a phone's article column), so label sizes measured here are
the sizes a reader gets. Mermaid comes from node_modules (package-lock.json), Chromium from Debian.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser import CHROMIUM_FLAGS, chromium_path  # noqa: E402

MERMAID = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"


def page_html(stylesheets: list[str]) -> str:
    links = "".join(f'<link rel="stylesheet" href="{Path(s).as_uri()}">' for s in stylesheets)
    return (f"<!doctype html><html lang=zh><head><meta charset=utf-8>{links}</head>"
            '<body><article class="md-content__inner md-typeset" style="width: 720px">'
            '<div class="mermaid-diagram" id="slot"></div></article></body></html>')


def main() -> int:
    from playwright.sync_api import sync_playwright

    stylesheets = sys.argv[1:]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.set_content(page_html(stylesheets))
        page.add_script_tag(path=str(MERMAID))
        font = page.evaluate("getComputedStyle(document.querySelector('article')).fontFamily")
        for line in sys.stdin:
            job = json.loads(line)
            try:
                svg = page.evaluate(
                    """async ([id, source, theme, font]) => {
                        // the dark theme's edge labels are #ccc on #585858 (4.43:1): a darker label ground
                        const themeVariables = theme === "dark" ? {edgeLabelBackground: "#3b3b3b"} : {};
                        mermaid.initialize({startOnLoad: false, theme, themeVariables, securityLevel: "strict",
                                            fontFamily: font, deterministicIds: true, deterministicIDSeed: id});
                        const slot = document.getElementById("slot");
                        const {svg} = await mermaid.render(id, source, slot);
                        return svg;
                    }""", [job["id"], job["source"], job["theme"], font])
                out = {"svg": svg}
            except Exception as exc:  # noqa: BLE001 - the message goes back to the build
                out = {"error": str(exc).split("\n")[0][:400]}
            sys.stdout.write(json.dumps(out) + "\n")
            sys.stdout.flush()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
