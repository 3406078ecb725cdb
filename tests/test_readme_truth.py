"""What the README says of virtc's numbers, targets, licence, version and release tag is
what the code and the repository say."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import virtc
from virtc import api
from virtc.rules.base import Scope
from virtc.ruleset import all_rules

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_rule_and_language_code_counts():
    m = re.search(r"express: (\d+) rules,.*?besides\s+the (\d+) codes of the language itself", README, re.S)
    assert m, "the Rules section states the counts"
    rules = [r for r in all_rules() if r.scope is not Scope.LANGUAGE]
    language = [r for r in all_rules() if r.scope is Scope.LANGUAGE]
    assert (int(m.group(1)), int(m.group(2))) == (len(rules), len(language))


def test_coverage_figure_is_the_coverage_tables():
    m = re.search(r"\((\d+) of the (\d+) error and warning items are implemented\)", README)
    table = (ROOT / "compiler" / "rules" / "COVERAGE.md").read_text()
    row = re.search(r"\| error \+ warning \| (\d+) \([\d.]+%\) \| (\d+) \|", table)
    assert m and row and m.groups() == row.groups()


def test_emit_targets_listed_are_the_targets():
    row = next(line for line in README.splitlines() if "--emit xm` | write only some targets" in line)
    listed = re.findall(r"`([a-z]+)`", row.split("|")[2])
    assert sorted(listed) == sorted(api.target_names())


def test_licence_file_matches_pyproject():
    lic = PYPROJECT["project"]["license"]
    assert lic == {"file": "LICENSE"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert any("MIT" in c for c in PYPROJECT["project"].get("classifiers", [])) or "MIT" in README


def test_the_version_has_one_source():
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "virtc.__version__"}
    assert metadata.version("virtc") == virtc.__version__
    out = subprocess.run([sys.executable, "-m", "virtc", "--version"], capture_output=True, text=True)
    assert out.stdout.strip() == f"virtc {virtc.__version__}"


def test_snippets_name_a_release_that_exists():
    revs = set(re.findall(r"rev: (v[\d.]+)", README)) | set(re.findall(r"@(v[\d.]+)\"", README))
    assert revs == {f"v{virtc.__version__}"}, revs
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    tag = f"v{virtc.__version__}"
    r = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}"], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode != 0 and subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT,
                                            capture_output=True, text=True).stdout.strip() == "true":
        pytest.skip("a shallow clone has no tags")
    assert r.returncode == 0, f"the README names {tag}, which is not a tag of this repository"
