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
    """The snippets pin release commits in pre-commit's frozen form (`rev: SHA  # frozen: vX`).

    A commit is what a clone of this repository is sure to carry; the commit must exist and
    hold the version the comment names, with the hooks file pre-commit reads.
    """
    pins = re.findall(r"rev: ([0-9a-f]{40})  # frozen: v([\d.]+)", README)
    pins += re.findall(r"@([0-9a-f]{40})\"  # v([\d.]+)", README)
    assert len(pins) == 2, pins
    assert {version for _, version in pins} == {virtc.__version__}
    assert not re.search(r"rev: v[\d.]+|@v[\d.]+\"", README), "a snippet pins a tag instead of a commit"
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    if subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT,
                      capture_output=True, text=True).stdout.strip() == "true":
        pytest.skip("a shallow clone lacks the release commit")
    for sha, version in set(pins):
        init = subprocess.run(["git", "show", f"{sha}:compiler/__init__.py"], cwd=ROOT,
                              capture_output=True, text=True)
        assert init.returncode == 0, f"the README pins {sha}, which is not a commit of this repository"
        assert f'__version__ = "{version}"' in init.stdout, f"{sha} is not release {version}"
        hooks = subprocess.run(["git", "show", f"{sha}:.pre-commit-hooks.yaml"], cwd=ROOT,
                               capture_output=True, text=True)
        assert hooks.returncode == 0 and "id: virtc-check" in hooks.stdout
