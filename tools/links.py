"""`make links`: every external reference of every page, grouped by page, with a per-host summary.

Offline by design (this lists; it does not fetch). Reads the built site if present, else builds it.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"


def main():
    if not (SITE / "index.html").is_file():
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=ROOT, check=True)
    hosts = collections.Counter()
    total = 0
    for html in sorted(SITE.rglob("index.html")):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        article = soup.select_one("article")
        if article is None:
            continue
        links = []
        for a in article.find_all("a", href=True):
            href = a["href"]
            if href.startswith(("http://", "https://")):
                links.append((href, a.get_text(" ", strip=True)))
        if not links:
            continue
        print(f"\n{html.parent.relative_to(SITE).as_posix() or '.'}/")
        for href, text in dict.fromkeys(links):
            print(f"  {href}  {text[:60]}")
            hosts[urlparse(href).netloc] += 1
            total += 1
    print(f"\n{total} external links to {len(hosts)} hosts:")
    for host, n in hosts.most_common():
        print(f"  {n:4}  {host}")


if __name__ == "__main__":
    main()
