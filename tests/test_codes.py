"""Every code virtc can emit is a declared class with its documentation (the rules, and the
language's own VP, VR and VT codes of compiler/rules/language.py); `virtc explain`,
`virtc rules`, the reports' descriptions (codes.describe) and grammar/README.md's table all
come from those classes. test_rules.py checks that every code the cases produce is one of
them."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from virtc import codes
from virtc.build import artifacts
from virtc.resolve import compile_sources
from virtc.rules import language
from virtc.rules.base import Scope
from virtc.ruleset import all_rules, by_code, find_code, resolve_code

from conftest import ROOT

LANGUAGE = [r for r in all_rules() if r.scope is Scope.LANGUAGE]
# The codes compiler/ and targets/ emit by name, as before they had classes.
EMITTED = ["VP001", "VP002", "VP003", "VP004", *(f"VR{n:03d}" for n in (*range(1, 20), 30, 31, 32, 40, 41, 42)), "VT001", "VT002"]


def virtc(*args: str):
    """The command line in this process (no interpreter start): returncode, stdout, stderr."""
    from typer.testing import CliRunner

    from virtc.cli import app

    r = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)


def test_the_language_codes_are_the_classes_of_language_py():
    assert sorted(r.code for r in LANGUAGE) == EMITTED
    assert all(r.__module__ == language.__name__ for r in LANGUAGE)
    for r in LANGUAGE:
        assert r.section == "virtc" and not r.checklist and r.name, r.code


def test_every_code_emitted_by_name_in_the_source_is_declared():
    import re

    used = set()
    for path in [*ROOT.joinpath("compiler").rglob("*.py"), *ROOT.joinpath("targets").rglob("*.py")]:
        used |= set(re.findall(r'"(V[A-Z]\d{3})"', path.read_text()))
    assert used and sorted(used - set(by_code())) == []


def test_rules_lists_every_code():
    listed = [line.split()[:3] for line in virtc("rules").stdout.splitlines()]
    assert [row[0] for row in listed] == [r.code for r in all_rules()]
    assert ["VR012", "invalid-value", "error"] in listed
    assert ["VR030", "unused-suppression", "warning"] in listed


@pytest.mark.parametrize("rule", LANGUAGE, ids=lambda r: r.code)
def test_explain_documents_each_language_code_by_code_and_name(rule):
    by_code_ = virtc("explain", rule.code)
    assert by_code_.returncode == 0, by_code_.stderr
    out = by_code_.stdout
    assert out.startswith(f"{rule.code} {rule.name} ({rule.severity})\n\n{rule.doc().summary}\n")
    for section in ("What it checks:", "Why:", "Example:", "Fix:"):
        assert section in out, (rule.code, section)
    assert "whatever the configuration says of its severity" in out
    assert "Source:" not in out and "Checklist:" not in out
    assert virtc("explain", rule.name).stdout == out


def test_explain_vr012_is_no_longer_a_suggestion():
    r = subprocess.run([sys.executable, "-m", "virtc", "explain", "VR012"], capture_output=True, text=True)
    assert r.returncode == 0 and "did you mean" not in r.stderr
    assert "invalid-value" in r.stdout and "bootloader grub" in r.stdout


def test_explain_keeps_the_source_of_guide_rules_and_drops_it_for_virtc_own():
    out = virtc("explain", "VS109").stdout
    assert "Checklist: STO-18" in out and "Source: RHEL 5 Virtualization Guide §9.2" in out
    out = virtc("explain", "VF002").stdout
    assert "Source:" not in out and "Checklist:" not in out and "turn it off" not in out


def test_describe_takes_everything_from_the_classes():
    for rule in all_rules():
        info = codes.describe(rule.code)
        assert (info.name, info.severity) == (rule.name, rule.severity)
        assert info.text.startswith(rule.doc().summary) and "Fix:" in info.text
        assert info.reference == ("" if rule.section == "virtc" else rule.reference())
    vr003 = codes.describe("VR003")
    assert vr003.summary == "A guest's NIC uses a bridge or network its host declares."
    assert codes.describe("VX999").summary == "virtc diagnostic VX999."


def test_grammar_readme_table_is_generated_from_the_classes():
    text = (ROOT / "grammar" / "README.md").read_text()
    assert codes.README_HEADING in text
    section = text[text.index(codes.README_HEADING):]
    assert section == codes.language_section(), "run: python -m virtc.codes and paste it into grammar/README.md"
    for rule in LANGUAGE:
        assert f"| {rule.code} | {rule.name} | {rule.severity} |" in section


def test_every_code_can_be_named_by_code_or_name():
    """Suppressions, the configuration and `virtc explain` name any code the same way: by
    its code, in any case, or by its name."""
    assert resolve_code("VS109") == "VS109" and resolve_code("sparse-image") == "VS109"
    assert resolve_code("vf003") == "VF003" and resolve_code("not-modelled") == "VF003"
    for rule in LANGUAGE:
        assert resolve_code(rule.code) == rule.code and resolve_code(rule.name) == rule.code
        assert find_code(rule.code) == rule.code
    assert "VR012" in resolve_code.known() and resolve_code("VX999") is None


def test_vt001_guards_the_output_folder():
    """No .virt file reaches VT001 (names are refused first, VR011); a model whose network
    name would climb out of the output folder shows the build's own guard."""
    text = 'host kvm2 { hypervisor kvm; memory 8G\n  network lab bridge virbr1 forward none }\n'
    model = compile_sources(["f.virt"], texts={"f.virt": text}).model
    (host,) = model.hosts
    evil = replace(host, networks=tuple(replace(n, name="../../../etc/passwd") for n in host.networks))
    arts, diags = artifacts(replace(model, hosts=(evil,)))
    assert {d.code for d in diags} == {"VT001"} and all(d.severity.name == "ERROR" for d in diags)
    assert "refusing to write 'kvm2/etc/libvirt/qemu/networks/../../../etc/passwd.xml'" in diags[0].message
    assert not [a for a in arts if "passwd" in a.path]
