"""Every file of ../shared/corpus (libvirt's xm, xl and domain XML test data, capabilities,
virt-install output, RelaxNG schemas) goes through `virtc lint` without an exception, one
file at a time and all together; what virtc does not model is named (VF003), never
dropped silently. The corpus is read in place and never copied; without it these tests skip.
"""
from __future__ import annotations

import collections
from pathlib import Path

import pytest

from virtc import api

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file()) if CORPUS.is_dir() else []
CONFIGS = [p for p in FILES if p.suffix in (".cfg", ".xml")]


@pytest.fixture(scope="module", autouse=True)
def corpus_present():
    if not FILES:
        pytest.skip(f"{CORPUS} is absent (../shared is not beside the project)")


def test_every_corpus_file_is_read_without_an_exception():
    per_code: collections.Counter = collections.Counter()
    guests = 0
    silent = []
    for p in FILES:
        result = api.lint([str(p)])  # raises on a bug: the test fails with the file named
        per_code.update(d.code for d in result.diagnostics)
        guests += len(result.model.guests)
        if p in CONFIGS and not result.diagnostics and not result.model.guests and not result.model.hosts:
            silent.append(p.name)
        for d in result.diagnostics:
            assert d.code and d.message, (p, d)
            assert d.span is None or Path(d.span.file) == p, (p, d)
    print(f"\ncorpus: {len(FILES)} files ({len(CONFIGS)} .cfg/.xml), {guests} guests read; "
          f"VF003 (not modelled) {per_code['VF003']}, VF002 (not a config) {per_code['VF002']}; "
          f"codes: {dict(sorted(per_code.items()))}")
    assert silent == [], "configs that gave neither a guest nor a diagnostic"
    assert guests >= len([p for p in CONFIGS if "schema-invalid" not in str(p)]) // 2


def test_the_whole_corpus_in_one_run():
    result = api.lint([str(p) for p in CONFIGS])
    assert result.model is not None


@pytest.mark.parametrize("path", [p for p in CONFIGS if p.suffix == ".xml" and "domainxml" in str(p)][:200],
                         ids=lambda p: p.name)
def test_domain_xml_constructs_are_modelled_or_named(path):
    """A domain XML with devices virtc does not model says which (VF003)."""
    result = api.lint([str(path)])
    if not result.model.guests:
        # A domain of a kind virtc does not model (libvirt's test driver, type='test') is
        # named by VF003 at its root, a file whose root is no libvirt document (virt-v2v's
        # <node> wrapper) is not a configuration (VF002); anything else that yields no guest
        # is an error.
        named = any((d.code == "VF003" and "<domain type=" in d.message) or d.code == "VF002"
                    for d in result.diagnostics)
        assert named or any(d.severity.name == "ERROR" for d in result.diagnostics), "no guest and no error"
