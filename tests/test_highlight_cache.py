"""hooks/highlight.py: code highlighting remembered between builds gives the bytes Pygments gives."""

from __future__ import annotations

import importlib.util
import json
import sys

import markdown
import pytest

from conftest import ROOT

EXTENSIONS = ["pymdownx.highlight", "pymdownx.superfences"]
CONFIG = {"pymdownx.highlight": {"anchor_linenums": True, "pygments_lang_class": True}}
DOC = """```python
def f(x):
    return x * 2  # doubled
```

```python title="example.py"
print("a titled block goes through the HTML stash")
```

```bash
echo "$HOME"
```
"""


@pytest.fixture
def hook(tmp_path, monkeypatch):
    monkeypatch.setenv("BAGU_CACHE", str(tmp_path))
    spec = importlib.util.spec_from_file_location("highlight_hook_under_test", ROOT / "hooks" / "highlight.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    module.pymdownx_highlight.Highlight.highlight = module._original  # the other tests see plain pymdownx
    del sys.modules[spec.name]


def render() -> str:
    return markdown.markdown(DOC, extensions=EXTENSIONS, extension_configs=CONFIG)


def test_cached_highlighting_is_byte_identical_and_skips_titled_blocks(hook):
    plain = render()
    hook.on_config({})
    cold = render()
    hook.on_post_build({})
    stored = json.loads(hook.CACHE_FILE.read_text(encoding="utf-8"))
    assert stored["version"] == hook.VERSION
    assert len(stored["entries"]) == 2, "the two untitled blocks are stored, the titled one is not"
    assert not any(hook.STASH_MARK in html for html in stored["entries"].values())
    hook.on_config({})  # the next build: every untitled block from the cache
    assert len(hook._stored) == 2
    warm = render()
    assert plain == cold == warm
    assert 'class="language-python highlight"' in warm and "example.py" in warm


def test_a_cache_from_another_version_is_ignored(hook):
    hook.CACHE_FILE.parent.mkdir(parents=True, exist_ok=True)
    hook.CACHE_FILE.write_text(json.dumps({"version": "old", "entries": {"k": "<stale>"}}), encoding="utf-8")
    hook.on_config({})
    assert hook._stored == {}
    assert "<stale>" not in render()
