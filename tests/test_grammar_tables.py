"""The LALR tables shipped in grammar/virtc.lalr: current with grammar/virtc.lark, loaded
instead of built, parsing exactly as a parser built from the grammar does, and never used
when they do not match (a slow start, never a wrong parse)."""
from __future__ import annotations

import fnmatch
import json
import tomllib
from importlib.resources import files

import pytest

from conftest import EXAMPLES, ROOT
from virtc import grammar
from virtc.parse import parse
from virtc.source import SourceFile

# under xdist the tests of this module run on one worker: the LALR tables built once for the
# module
pytestmark = pytest.mark.xdist_group("grammar_tables")

SHIPPED = files("virtc.grammar") / grammar.TABLES


def test_shipped_tables_are_the_grammar_built_now():
    """Regenerates the tables (the bytes are canonical: the same grammar and Lark always
    give the same file) and compares them with the shipped ones."""
    assert SHIPPED.read_bytes() == grammar.tables_bytes(), \
        "grammar/virtc.lalr is stale: run `python -m virtc.grammar` and commit it"


def test_the_stamp_names_this_grammar_this_lark_and_these_options():
    assert grammar.read_stamp() == grammar.stamp()


def test_the_parser_is_loaded_not_built():
    assert grammar.load_tables() is not None
    grammar.parser.cache_clear()
    try:
        assert grammar.parser().source_path == "<deserialized>"  # what Lark calls a loaded parser
    finally:
        grammar.parser.cache_clear()


def test_the_tables_ship_as_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert any(fnmatch.fnmatch(grammar.TABLES, g) for g in data["virtc.grammar"])


_INPUTS = sorted([*EXAMPLES.glob("*.virt"), *(EXAMPLES / "broken").glob("*.virt"),
                  *(ROOT / "tests" / "cases").glob("*/*.virt"), *(ROOT / "tests" / "cases").glob("*/*/*.virt")])


@pytest.fixture(scope="module")
def built():
    return grammar.build()


def _parsed_with(monkeypatch, parser, src):
    monkeypatch.setattr(grammar, "parser", lambda: parser)
    return parse(src)


def test_loaded_tables_parse_every_input_as_the_built_parser(monkeypatch, built):
    """Trees with their spans, and every syntax error with its message, on every example,
    broken example and rule case."""
    loaded = grammar.load_tables()
    assert len(_INPUTS) > 100
    for path in _INPUTS:
        src = SourceFile(str(path), path.read_text())
        assert _parsed_with(monkeypatch, loaded, src) == _parsed_with(monkeypatch, built, src), path
    src = SourceFile("x.virt", "host h {\n  memory 1G\n  = 3\n}\nguest g { type kvm\n")
    with_loaded = _parsed_with(monkeypatch, loaded, src)
    assert with_loaded[1] and with_loaded == _parsed_with(monkeypatch, built, src)


def test_tables_of_another_grammar_are_not_used(monkeypatch):
    text = grammar.grammar_text()
    monkeypatch.setattr(grammar, "grammar_text", lambda: text + "\n// edited, tables not regenerated\n")
    assert grammar.load_tables() is None
    grammar.parser.cache_clear()
    try:
        assert grammar.parser().source_path != "<deserialized>"  # built from the grammar instead
    finally:
        grammar.parser.cache_clear()


def test_tables_of_another_lark_or_options_are_not_used(tmp_path):
    body = SHIPPED.read_bytes().split(b"\n", 1)[1]
    for field, value in (("lark", "0.0.1"), ("options", {**grammar.OPTIONS, "propagate_positions": False})):
        stamp = {**grammar.stamp(), field: value}
        other = tmp_path / f"{field}.lalr"
        other.write_bytes(json.dumps(stamp, sort_keys=True).encode() + b"\n" + body)
        assert grammar.load_tables(other) is None, field
    same = tmp_path / "same.lalr"
    same.write_bytes(grammar.stamp_line() + body)
    assert grammar.load_tables(same) is not None


def test_damaged_or_missing_tables_are_not_used(tmp_path):
    whole = SHIPPED.read_bytes()
    for name, data in (("truncated", whole[:len(whole) // 2]), ("stamp only", grammar.stamp_line()),
                       ("garbage", grammar.stamp_line() + b"\x80\x05garbage"), ("empty", b"")):
        bad = tmp_path / "bad.lalr"
        bad.write_bytes(data)
        assert grammar.load_tables(bad) is None, name
    assert grammar.load_tables(tmp_path / "absent.lalr") is None
