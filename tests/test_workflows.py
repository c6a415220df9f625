"""Workflow lint: schema validation and zizmor's offline audits, both clean; pins and permissions as designed."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def test_workflows_match_the_github_schema():
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dependabot_config_matches_its_schema():
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot",
                           str(ROOT / ".github" / "dependabot.yml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_offline_finds_nothing():
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", "--no-progress", str(ROOT / ".github" / "workflows")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr


def test_every_action_is_pinned_by_full_sha_with_a_version_comment():
    for wf in WORKFLOWS:
        for n, line in enumerate(wf.read_text(encoding="utf-8").splitlines(), 1):
            m = re.search(r"uses:\s*(\S+)", line)
            if m and not m.group(1).startswith("./"):
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", m.group(1)), f"{wf.name}:{n}: {m.group(1)} not pinned by SHA"
                assert re.search(r"#\s*v\d", line), f"{wf.name}:{n}: no version comment"


def test_least_privilege_permissions():
    for wf in WORKFLOWS:
        data = yaml.safe_load(wf.read_text(encoding="utf-8"))
        assert data["permissions"] == {"contents": "read"}, wf.name
        for name, job in data["jobs"].items():
            perms = job.get("permissions", {})
            if perms.get("pages") == "write" or perms.get("id-token") == "write":
                assert any("deploy-pages" in s.get("uses", "") for s in job["steps"]), f"{wf.name}:{name} writes without deploying"


def test_pages_workflow_builds_strict_and_deploys_from_main():
    data = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text(encoding="utf-8"))
    on = data[True] if True in data else data["on"]
    assert on["push"]["branches"] == ["main"] and "workflow_dispatch" in on
    assert data["concurrency"]["group"] == "pages"
    deploy = data["jobs"]["deploy"]
    assert deploy["environment"]["name"] == "github-pages"
    build_steps = " ".join(str(s) for s in data["jobs"]["build"]["steps"])
    assert "make build" in build_steps and "upload-pages-artifact" in build_steps and "fetch-depth" in build_steps


def test_test_workflow_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme
    assert "make test" in (ROOT / ".github/workflows/test.yml").read_text(encoding="utf-8")
    assert "make test" in (ROOT / ".ci/run").read_text(encoding="utf-8")
