"""The parser: syntax trees, comments, and syntax errors people can act on."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtc.parse import parse
from virtc.resolve import compile_text
from virtc.source import SourceFile
from virtc.syntax import GuestDecl, HostDecl, TemplateDecl

from conftest import examples

GOOD = """\
# a fleet
host xen1 {
  hypervisor xen; arch x86_64   # trailing comment
  bridge xenbr0 on eth0
}
template t { type xen-pv; memory 1G }
guest web[01..03] from t on xen1 {
  disk xvda tap:aio "/var/lib/libvirt/images/{name}.img" size 8G
  nic bridge xenbr0 mac auto rate 10MB/s
}
"""


def p(text: str):
    return parse(SourceFile("t.virt", text))


def test_parses_items_and_keeps_comments():
    tree, diags = p(GOOD)
    assert diags == []
    kinds = [type(i) for i in tree.items]
    assert kinds == [HostDecl, TemplateDecl, GuestDecl]
    guest = tree.items[2]
    assert (guest.name.text, guest.range.start.text, guest.range.end.text) == ("web", "01", "03")
    assert guest.template.text == "t" and guest.host.text == "xen1"
    disk = guest.stmts[0]
    assert disk.keyword == "disk"
    assert [a.text for a in disk.args] == ["xvda", "tap:aio", "/var/lib/libvirt/images/{name}.img"]
    assert disk.opt("size").values[0].text == "8G"
    assert [c.text for c in tree.comments] == ["# a fleet", "# trailing comment"]
    assert tree.comments[1].span.line == 3


def test_spans_point_at_the_statement():
    tree, _ = p(GOOD)
    nic = tree.items[2].stmts[1]
    assert (nic.span.line, nic.span.col) == (9, 3)
    assert nic.opt("rate").values[0].span.col == GOOD.splitlines()[8].index("10MB/s") + 1


def test_statements_need_a_separator():
    _, diags = p("host h { hypervisor xen memory 1G }")
    assert [d.code for d in diags] == ["VP001"]
    assert diags[0].message == "unexpected 'memory'; expected ';', '}' or end of line"


@pytest.mark.parametrize("text, code, line, col, fragment", [
    ("host h {\n  memory\n}\n", "VP001", 2, 9, "expected a size such as 512M or 8G"),
    ("host h {\n  hypervisor xen\n", "VP004", 1, 1, "block `host h {` is not closed"),
    ("host h {\n  hypervisor", "VP003", 2, 12, "unexpected end of file"),
    ('guest g on h {\n  disk xvda "/x\n}\n', "VP002", 2, 13, "unterminated string"),
    ("host h { hypervisor @xen }", "VP001", 1, 21, "unexpected character '@'"),
    ("guest g on h { vcpus two }", "VP001", 1, 22, "expected a whole number"),
])
def test_syntax_errors_have_position_and_words(text, code, line, col, fragment):
    tree, diags = p(text)
    assert diags  # (the tree, if any, is the rest of the file: virtc.recovery)
    d = diags[0]
    assert (d.code, d.span.line, d.span.col) == (code, line, col)
    assert fragment in d.message


def test_expected_names_are_human():
    texts = ["host h { cpu intel cores }", "guest g on h { nic }", "guest g[01..] on h {}",
             "template t from { }", "host h { bridge br0 hwaddr zz }", "guest g on h { on }"]
    for text in texts:
        _, diags = p(text)
        assert diags, text
        for d in diags:
            assert not re.search(r"__ANON|\$END|\b_?NL\b|\b(NAME|STRING|INT|SIZE|LBRACE|RBRACE|LSQB|"
                                 r"SEMICOLON|DRIVER|VERSION|ADDRESS|PCIADDR|RATE|CPUSET)\b",
                                 d.message), d.message


def test_several_errors_in_one_run():
    text = "host h {\n  memory\n  cpu intel cores\n  hypervisor xen\n}\nguest g on h {\n  vcpus x\n}\n"
    _, diags = p(text)
    assert [(d.code, d.span.line) for d in diags] == [("VP001", 2), ("VP001", 3), ("VP001", 7)]


def test_error_in_a_header_does_not_cascade():
    text = "guest g[01..05 on h {\n  memory 1G\n}\nhost h { hypervisor xen }\nguest k on h { memory }\n"
    _, diags = p(text)
    assert [(d.code, d.span.line) for d in diags] == [("VP001", 1), ("VP001", 5)]


# ---------------------------------------------------------------- robustness

words = st.sampled_from(["host", "guest", "template", "from", "on", "{", "}", ";", "\n", "memory",
                         "1G", "disk", "xvda", '"/a/b"', "nic", "bridge", "br0", "[01..03]", "include",
                         '"x.virt"', "type", "xen-pv", "#c", "vcpus", "4", "pci", "00:01.0", "{name}",
                         '"{name}"', "mac", "auto", "..", "(", "@", '"', "\\", "\t"])


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(words, max_size=40).map(" ".join))
def test_token_soup_never_raises(text):
    result = compile_text(text)
    assert all(d.code and d.message for d in result.diagnostics)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text):
    result = compile_text(text)
    if result.model is None:
        assert result.diagnostics or text.strip() == ""


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(0, len(GOOD)), st.integers(0, 20), st.text(max_size=5))
def test_edits_of_a_valid_file_never_raise(pos, cut, insert):
    text = GOOD[:pos] + insert + GOOD[pos + cut:]
    compile_text(text)


def test_a_line_continuation_between_from_and_the_template_name():
    from virtc.parse import parse
    from virtc.source import SourceFile

    text = 'guest b from \\\n    pvhvm on \\\n  xen1 {\n  memory 1G\n}\n'
    tree, diags = parse(SourceFile("c.virt", text))
    assert diags == []
    (g,) = [i for i in tree.items if type(i).__name__ == "GuestDecl"]
    assert (g.template.text, g.host.text) == ("pvhvm", "xen1")


def test_a_span_gives_the_line_and_column_of_its_first_and_last_character():
    """Source.span against lines and columns counted in the text itself: a span's end is
    its last character's line and the column after it; an empty span ends where it starts."""
    import random

    from virtc.source import SourceFile

    rng = random.Random(5)
    for _ in range(300):
        text = "".join(rng.choice("ab \n") for _ in range(rng.randrange(0, 40)))
        src = SourceFile("f.virt", text)
        for _ in range(40):
            a, b = sorted((rng.randrange(len(text) + 1), rng.randrange(len(text) + 1)))
            span = src.span(a, b)
            line, col = text.count("\n", 0, a) + 1, a - (text.rfind("\n", 0, a) + 1) + 1
            last = max(a, b - 1)
            end_line = text.count("\n", 0, last) + 1 if b > a else line
            end_col = b - (text.rfind("\n", 0, last) + 1) + 1 if b > a else col
            assert (span.line, span.col, span.end_line, span.end_col) == (line, col, end_line, end_col), \
                (text, a, b, span)


def test_every_span_of_the_syntax_is_the_one_its_offsets_give():
    """The syntax takes a token's line and column from the lexer where its text is the
    file's: each span of every example and rule case, valid or broken, is the one
    Source.span makes of its offsets."""
    import dataclasses
    from pathlib import Path

    from virtc.parse import parse
    from virtc.source import SourceFile, Span

    root = Path(__file__).resolve().parent.parent
    files = sorted([*root.glob("examples/*.virt"), *root.glob("tests/cases/*/*.virt")])
    assert len(files) > 100

    def spans(obj):
        if isinstance(obj, Span):
            yield obj
        elif isinstance(obj, (tuple, list)):
            for x in obj:
                yield from spans(x)
        elif dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                yield from spans(getattr(obj, f.name))

    seen = 0
    for path in files:
        src = SourceFile(str(path), path.read_text())
        tree, _ = parse(src)
        for span in spans(tree):
            assert span == src.span(span.start, span.end), (path, span)
            seen += 1
    assert seen > 10_000
