"""What a command loads: `virtc check` imports neither the formats (readers, emitters,
lxml) nor lint, the editor server or jsonschema; `virtc lint` not the .virt compiler;
`virtc --version` not even the compiler.
Each runs in a fresh interpreter that reports the modules it ended with. No timing is
asserted here (tests/bench/ measures it)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import EXAMPLES
from virtc.resolve import compile_sources
from virtc.rules.base import Context
from virtc.targets import rules as format_rules

# Runs the command line as `virtc` does, then prints the names of the loaded modules.
_RUN = """
import json, sys
from virtc.cli import main
sys.argv = ["virtc", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

# Loaded only by the commands that need them.
NOT_FOR_CHECK = ("lxml", "jsonschema", "pygls", "lsprotocol", "virtc.lint", "virtc.lsp", "virtc.placement",
                 "virtc.targets", "virtc.build", "virtc.plan", "virtc.fmt", "virtc.convert", "virtc.dslwrite",
                 "virtc.coverage",
                 "pydantic")  # typer 0.29 loads it for every option (pyproject.toml keeps typer < 0.29)


def _loaded(*args, cwd=None) -> set[str]:
    r = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, cwd=cwd)
    return set(json.loads(r.stderr.strip().splitlines()[-1]))


def _under(modules: set[str], prefixes) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("example", ["xen-webfarm.virt", "datacenter.virt"])
def test_check_loads_no_format_lint_editor_or_schema_module(example):
    loaded = _loaded("check", str(EXAMPLES / example))
    assert "virtc.resolve" in loaded and "virtc.rules.storage" in loaded  # it did check
    assert _under(loaded, NOT_FOR_CHECK) == []


def test_check_with_a_configuration_loads_jsonschema_and_still_no_format(tmp_path):
    (tmp_path / "virtc.toml").write_text('[rules]\nVS101 = "warning"\n')
    (tmp_path / "a.virt").write_text((EXAMPLES / "xen-webfarm.virt").read_text())
    loaded = _loaded("check", "a.virt", cwd=tmp_path)
    assert "jsonschema" in loaded  # the configuration is validated
    # naming a code looks it up among every rule, the formats' too
    assert "virtc.targets" in loaded and _under(loaded, ("lxml", "virtc.lint", "virtc.lsp", "pygls")) == []


def test_version_loads_no_compiler():
    loaded = _loaded("--version")
    assert _under(loaded, ("virtc.api", "virtc.model", "virtc.resolve", "virtc.rules", "virtc.parse", "lark",
                           *NOT_FOR_CHECK)) == []


def test_build_and_lint_load_what_they_need(tmp_path):
    loaded = _loaded("build", str(EXAMPLES / "kvm-lab.virt"), "-o", str(tmp_path / "out"))
    assert {"virtc.targets", "virtc.build"} <= loaded
    assert _under(loaded, ("lxml",)) == []  # the emitters write XML as text
    loaded = _loaded("lint", "--root", str(tmp_path / "out" / "kvmlab1"))
    assert {"virtc.lint", "virtc.targets", "lxml.etree"} <= loaded
    # existing files only: not the .virt compiler, its parser or Lark
    assert _under(loaded, ("virtc.resolve", "virtc.parse", "virtc.parsetree", "lark")) == []


def test_format_rules_see_nothing_without_documents():
    """Why check may run the area rules only: every format's rule checks the files lint
    reads, so on a model alone (every example's) it reports nothing."""
    for path in sorted(EXAMPLES.glob("*.virt")):
        model = compile_sources([str(path)]).model
        for rule in format_rules():
            assert list(rule().run(Context(model))) == [], (path.name, rule.code)
