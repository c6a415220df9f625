"""Screenshot pages of a built site in headless Chromium: desktop/mobile x light/dark.

Usage: python tools/shoot.py SITE_DIR OUT_DIR PATH [PATH ...]   (PATH like normalization/layernorm/)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser import launch, serve  # noqa: E402

site, out, paths = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
out.mkdir(parents=True, exist_ok=True)
with serve(site) as base, launch() as browser:
    for scheme in ("light", "dark"):
        for name, size in (("desktop", (1280, 900)), ("mobile", (375, 760))):
            ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, color_scheme=scheme,
                                      device_scale_factor=1)
            page = ctx.new_page()
            for p in paths:
                page.goto(base + p, wait_until="networkidle")
                page.wait_for_timeout(1500)
                file = out / f"{p.strip('/').replace('/', '_') or 'home'}-{name}-{scheme}.png"
                page.screenshot(path=str(file), full_page=name == "mobile" and False)
                print(file)
            ctx.close()
