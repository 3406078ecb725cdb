"""After a syntax error the rest of the file is read and checked: independent mistakes
come out in one run, a missing '}' is reported at the block left open, and a misspelt
keyword gets a 'did you mean' from the keywords of its block."""
from __future__ import annotations

from virtc import api

TEXT = """host h1 { hypervisor kvm; memory 8G }
guest g1 on h1 {
  type kvm
  memory 1G

guest g2 on h1 {
  type kvm
  memroy 1G
  nic bridge br0 mac 01:16:3e:00:00:01
}
guest g3 from nosuch on h1 {
  type kvm
  memory 1Q
"""


def findings(tmp_path, text=TEXT):
    f = tmp_path / "f.virt"
    f.write_text(text)
    out = api.check([str(f)])
    return [(d.code, d.span.line, d.span.col) for d in out.diagnostics], out


def test_independent_errors_come_out_in_one_run(tmp_path):
    got, out = findings(tmp_path)
    assert got == [("VP004", 2, 1),      # g1 left open, at its header
                   ("VP001", 8, 3),      # memroy, in g2
                   ("VR006", 9, 22),     # a multicast MAC, in g2 too: its statement parsed
                   ("VP004", 11, 1),     # g3 open at the end of the file
                   ("VR001", 11, 15),    # an unknown template, not written where anything failed
                   ("VR005", 13, 10)], got
    assert out.model is None  # nothing is built from a file with errors
    memroy = next(d for d in out.diagnostics if d.code == "VP001")
    assert "did you mean 'memory'?" in memroy.message and "memory" in memroy.hint


def test_what_a_blanked_statement_leaves_behind_is_not_reported(tmp_path):
    # g1's `type` line fails: that g1 then lacks a type is not a second finding; and a host
    # whose header fails takes its name with it, so "unknown host h1" is not reported
    got, _ = findings(tmp_path, "host h1 {\n  hypervisor kvm; memory 8G\n}\nguest g1 on h1 {\n  type = kvm\n"
                                "  memory 1G\n}\n")
    assert [c for c, *_ in got] == ["VP001"], got
    got, _ = findings(tmp_path, "host h1 = { hypervisor kvm }\nguest g1 on h1 {\n  type kvm\n  memory 1G\n}\n")
    assert "VR002" not in [c for c, *_ in got] and got[0][0] == "VP001", got


def test_a_name_declared_on_a_continued_line_that_failed_is_not_reported_missing(tmp_path):
    # the bridge's statement goes on over a backslash into the line that fails (a NIC
    # named '0'): the whole statement is blanked, xenbr0 with it, and the guest's
    # `nic bridge xenbr0` is not a second finding (hypothesis found it in test_injection)
    text = ("host xen1 {\n  hypervisor xen; memory 8G\n  bridge xenbr0 \\\n    on 0 mtu 9000\n"
            "  guest pv1 {\n    type xen-pv; memory 1G\n    nic bridge xenbr0\n  }\n}\n")
    got, _ = findings(tmp_path, text)
    assert got == [("VP001", 4, 8)], got
    got, _ = findings(tmp_path, text.replace("nic bridge xenbr0", 'nic bridge "xenbr0"'))  # named by a string
    assert got == [("VP001", 4, 8)], got
    # declared on a line of its own, the same name is reported
    got, _ = findings(tmp_path, text.replace("bridge xenbr0 \\\n    on 0", "bridge xenbr1 on 0"))
    assert ("VR003", 6, 16) in got, got


def test_vcpu_is_offered_vcpus(tmp_path):
    got, out = findings(tmp_path, "host h1 { hypervisor kvm; memory 8G }\nguest g1 on h1 {\n  type kvm\n"
                                  "  memory 1G\n  vcpu 2\n}\n")
    (d,) = out.diagnostics
    assert d.code == "VP001" and "did you mean 'vcpus'?" in d.message


def test_past_the_first_errors_the_others_are_counted_and_the_rest_still_read(tmp_path):
    from virtc.parse import MAX_ERRORS

    host = "host h1 {\n  hypervisor kvm; memory 8G\n  bridge br0 on eth0\n}\n"
    broken = "".join(f"guest g{i} on h1 {{\n  type kvm\n  memory = 1G\n}}\n" for i in range(4000))
    late = "guest last on h1 {\n  type kvm\n  memory 1G\n  vcpus 0\n}\n"  # a value error after them all
    got, out = findings(tmp_path, host + broken + late)
    vp = [d for d in out.diagnostics if d.code == "VP001"]
    assert len(vp) == MAX_ERRORS + 1
    assert vp[-1].message == f"and {4000 - MAX_ERRORS:,} more syntax errors"
    assert vp[-1].span.line == 4 + 4 * MAX_ERRORS + 3  # the first error not reported one by one
    # the declarations past the count are read: the value error is found, and what the
    # blanked statements leave missing (their memory) is not reported
    assert ("VR012", 4 + 4 * 4000 + 4, 9) in got
    assert not [d for d in out.diagnostics if d.code in ("VR013", "VR015")]


def test_an_unclosed_block_after_an_unclosed_block_is_reported_once_without_a_crash():
    """Recovery closes a block left open at the end by putting a '}' after the file's end;
    the next error is then past the file's text. Seen from the language server's
    differential test as an IndexError."""
    from virtc.parse import parse
    from virtc.source import SourceFile

    text = ('host xen1 {\n  hypervisor xen\n  memory 16G"\n\nguest web01 on xen1 {\n  type xen-pv\n'
            '  memory 512M\n  disk xvda tap:aio "/var/lib/libvirt/images/web01.img\n')
    _, diags = parse(SourceFile("open.virt", text))
    assert [(d.code, d.span.line) for d in diags] == [("VP002", 3), ("VP002", 8), ("VP004", 5)]
    assert all(d.span.end <= len(text) for d in diags)


def _counting_work(monkeypatch):
    """Counters of the work recovery does, not of time: the tokens the parser is fed (by
    virtc's loop, parsetree.feed, or Lark's) over every parse and every resumed parse,
    their characters, and the text handed to the parser again after each error or made
    from the text with the statements blanked (recovery copies what it needs of it)."""
    from lark.parsers.lalr_parser_state import ParserState
    from virtc import parsetree, resumable

    work = {"tokens": 0, "text": 0, "chars": 0}
    feed, new_token, resume = ParserState.feed_token, parsetree._new_token, resumable.Reader.resume
    composed = resumable.Reader.composed

    def counting_feed(self, token, is_end=False):
        work["tokens"] += 1
        work["chars"] += len(token)
        return feed(self, token, is_end)

    def counting_token(type_, value, *rest):
        work["tokens"] += 1
        work["chars"] += len(value)
        return new_token(type_, value, *rest)

    def counting_resume(self, text, same_before):
        work["text"] += len(text)
        return resume(self, text, same_before)

    def counting_composed(self, lo, hi):
        work["text"] += hi - lo
        return composed(self, lo, hi)

    monkeypatch.setattr(ParserState, "feed_token", counting_feed)
    monkeypatch.setattr(parsetree, "_new_token", counting_token)
    monkeypatch.setattr(resumable.Reader, "resume", counting_resume)
    monkeypatch.setattr(resumable.Reader, "composed", counting_composed)
    return work


def test_recovery_reads_each_statement_a_bounded_number_of_times(monkeypatch):
    """A block of a thousand broken lines (found by the fuzzer: 64 KB took 198 s) is not
    read again from its start after each error: the parse resumes before the failed
    statement, so the tokens Lark is fed over all the errors stay within a few times the
    file's words, instead of growing with errors x length."""
    from virtc import parse as parse_module
    from virtc.source import SourceFile

    work = _counting_work(monkeypatch)
    lines = 400
    text = ("host xen7 {\n  hypervisor xen\n"
            + '  modprobe pciback "emory 16G; bridge xenbr0 on eth0\n  iommu on\n' * lines + "}\n")
    _, diags = parse_module.parse(SourceFile("broken.virt", text))
    assert sum(d.code == "VP002" for d in diags) == parse_module.MAX_ERRORS
    assert parse_module.is_count(diags[-1]) and f"{lines - parse_module.MAX_ERRORS:,}" in diags[-1].message
    assert work["tokens"] <= 3 * len(text.split()), (work, len(text.split()))
    assert work["chars"] <= 3 * len(text), (work, len(text))

    # broken lines with blank lines between, in a block left open (fuzz seed 12, through the
    # language server): the blank lines the statements blanked before an error leave were
    # one end of line, read again from its start at each error after it
    work.update(tokens=0, text=0, chars=0)
    text = 'guest b on kvm1 { memory 1G\n' + '  grub xen-args "\n  iommu on\n\n' * lines
    _, diags = parse_module.parse(SourceFile("blank.virt", text))
    assert parse_module.is_count(diags[-1])
    assert work["tokens"] <= 3 * len(text.split()), (work, len(text.split()))
    assert work["chars"] <= 3 * len(text), (work, len(text))

    # stray text after a declaration (outside any block): the declarations before it are
    # read whole once, and the guest is still there to check
    work.update(tokens=0, text=0)
    text = ('guest g on xen1 {\n  type xen-pv; memory 1G\n}\n' + "c 00:16:3e:00:00:01\n}\n" * lines
            + 'guest h on xen1 {\n  type xen-pv; memory 1G\n}\n')
    syntax, diags = parse_module.parse(SourceFile("stray.virt", text))
    assert syntax is not None and [i.name.text for i in syntax.items] == ["g", "h"]
    assert [s.keyword for s in syntax.items[0].stmts] == ["type", "memory"]
    assert parse_module.is_count(diags[-1])
    assert work["tokens"] <= 3 * len(text.split()), (work, len(text.split()))

    # quotes that pair up across statements, on one line (found by the fuzzer): a statement
    # blanked from a ';' inside a string made that string run on over every statement
    # blanked after it, and it was lexed again after each error
    work.update(tokens=0, text=0, chars=0)
    text = ('guest b on xen1 { type xen-hvm; memory 1G; '
            + 'disk hda phy "/dev/VolGroup00/w"; cdrom hdc "/var/lib/libvirt/im; ' * lines + "}\n")
    _, diags = parse_module.parse(SourceFile("quotes.virt", text))
    assert parse_module.is_count(diags[-1])
    assert work["tokens"] <= 3 * len(text.split()), (work, len(text.split()))
    assert work["chars"] <= 3 * len(text), (work, len(text))


def test_each_error_costs_the_same_whatever_the_shape(monkeypatch):
    """Every shape of file full of errors the fuzzer found slow (tests/bench/scale_errors.py
    times them): the tokens fed to the parser stay within three times the file's words and
    the text copied to blank failed statements within a few times the file's length, so an
    error costs a statement's reading, not a declaration's or a chunk's."""
    from virtc import parse as parse_module
    from virtc.source import SourceFile

    work = _counting_work(monkeypatch)
    shapes = {
        "stray lines": "host h1 {\n  hypervisor xen; memory 64G\n}\nguest g on h1 {\n  type xen-pv\n}\n"
                       + "127 error 5:3\n}\n" * 600,
        "one chunk": 'include "../hosts.virt"\n' + "is KVM's driver; Xen guests useguest g on xen1 {\n"
                     '  type xen-pv; memory 1G\n  disk xvda virtio "/v`r/g.img"\n}\n' * 300,
        "unclosed blocks": "host x { hypervisor xen; memory 16G }\n"
                           + "host y { hypervisor xen; d memory is not checked.\n" * 300,
        "broken blocks": "".join(f"host h{i} {{\n  hypervisor xen; memory = 64G\n}}\ntemplate t{i} {{\n"
                                 f"  type xen-pv; memroy 512M\n  nic bridge xenbr0 {{\n}}\nguest g{i} from t{i} {{\n"
                                 "  os rhel5.8 x86_64; vcpus = 1\n}\n" for i in range(200)),
    }
    for shape, text in shapes.items():
        work.update(tokens=0, text=0)
        _, diags = parse_module.parse(SourceFile("f.virt", text))
        assert parse_module.is_count(diags[-1]), shape
        assert work["tokens"] <= 3 * len(text.split()), (shape, work, len(text.split()))
        assert work["text"] <= 6 * len(text), (shape, work, len(text))
        assert work["chars"] <= 3 * len(text), (shape, work, len(text))


def test_a_block_or_a_line_of_broken_statements_is_not_copied_per_error(monkeypatch):
    """One block of thousands of broken statements, on lines of their own or all on one
    line: blanking each failed statement copied the block's text (1 MB took 8 to 20 times
    its bare parse, and a 4 MB file minutes). Past the errors reported one by one, the
    statement is blanked where it is and the parse reads on without a copy: the text made
    and the tokens read stay proportional to the file, twice the statements twice the work."""
    from virtc import parse as parse_module
    from virtc.source import SourceFile

    work = _counting_work(monkeypatch)
    shapes = {
        "a host block of broken lines": lambda n: "host h1 {\n  hypervisor xen\n" + "  memory = 64G\n" * n + "}\n",
        "a guest block of broken lines": lambda n: ("host h1 { hypervisor xen }\nguest g on h1 {\n  type xen-pv\n"
                                                   + "  vcpus = 2\n" * n + "}\n"),
        "one line of them": lambda n: "host h1 { hypervisor xen; " + "memory = 64G; " * n + "}\n",
        "one line with strings": lambda n: "host h1 { hypervisor xen; " + 'x "a; b" = ; ' * n + "}\n",
    }
    for shape, text_of in shapes.items():
        costs = []
        for n in (1000, 2000):
            text = text_of(n)
            work.update(tokens=0, text=0, chars=0)
            _, diags = parse_module.parse(SourceFile("f.virt", text))
            assert parse_module.is_count(diags[-1]), shape
            # (the text: the errors reported one by one copy it, a fixed number of times)
            assert work["tokens"] <= 3 * len(text.split()), (shape, work, len(text.split()))
            costs.append(dict(work))
        for what in ("tokens", "chars", "text"):
            assert costs[1][what] <= 2.2 * costs[0][what], (shape, what, costs)


def test_a_thousand_unclosed_blocks_are_chunked_once(monkeypatch):
    """Each unclosed block is closed before the next declaration line; the rest of the file
    was then cut into chunks again by scanning its braces to the end, once per unclosed
    block (a fuzzer input: 5 KB took a second, 100 KB 80 s). The declaration lines are found
    once; the text scanned for chunks stays the file's length."""
    from virtc import parse as parse_module
    from virtc.source import SourceFile

    scanned = []
    real = parse_module._chunks

    def counting(text, start, end):
        scanned.append(end - start)
        return real(text, start, end)

    monkeypatch.setattr(parse_module, "_chunks", counting)
    blocks = 300
    text = "host x { hypervisor xen; memory 16G }\n" + "host y { hypervisor xen; d memory is not checked.\n" * blocks
    _, diags = parse_module.parse(SourceFile("open.virt", text))
    assert parse_module.is_count(diags[-1])
    shown = [d for d in diags if not parse_module.is_count(d)]
    assert len(shown) == parse_module.MAX_ERRORS and {d.code for d in shown} <= {"VP001", "VP004"}
    assert sum(scanned) <= 2 * len(text), (sum(scanned), len(text))


def test_a_block_left_open_above_many_declarations_is_read_once(monkeypatch):
    """A statement that opens a block left open is blanked to its chunk's end, and the
    chunks below are taken in one at a time (the fuzzer's shapes, tests/fuzz/slow/lsp/: a
    '{' left open above a thousand blocks, and lines each opening a block and breaking).
    Each one taken in was blanked and read again with all the blanked block before it
    (64 KB took 2.4 s): the work, in characters read and blanked, was quadratic in the
    declarations below. It stays proportional to them: twice the blocks, twice the work."""
    from virtc import parse as parse_module
    from virtc.source import SourceFile

    work = _counting_work(monkeypatch)
    blank, blanked = parse_module.blank, parse_module.blanked

    def counting_blank(text, start, end):
        work["blanked"] += end - start
        return blank(text, start, end)

    def counting_blanked(part):
        work["blanked"] += len(part)
        return blanked(part)

    monkeypatch.setattr(parse_module, "blank", counting_blank)
    monkeypatch.setattr(parse_module, "blanked", counting_blanked)
    shapes = {  # a VP004 first: the declaration lines below it are cut into chunks
        "a '{' above hosts": lambda n: "host a {\nhost b {\n  {\n" + "".join(
            f"host h{i} {{\n  hypervisor xen; memory 64G\n  bridge xenbr0 on eth0\n}}\n" for i in range(n)),
        "blocks left open": lambda n: ("host x {\n  hyperv MiB.\n" + "host x {\n{\n  hyperv MiB.\n"
                                       + "host x {\n  hyperv MiB.\n" * n),
        "lines each broken": lambda n: "host x { hype).\n" + "host x { h x { hype).\n" + "host x { hype).\n" * n,
    }
    for shape, text_of in shapes.items():
        costs = []
        for n in (400, 800):
            work.update(tokens=0, text=0, chars=0, blanked=0)
            _, diags = parse_module.parse(SourceFile("open.virt", text_of(n)))
            assert diags, shape
            costs.append(dict(work))
        for what in ("tokens", "chars", "blanked"):
            assert costs[1][what] <= 2.2 * costs[0][what], (shape, what, costs)


def test_a_separator_inside_a_string_does_not_start_the_failed_statement():
    """The failed statement is blanked from the lexer's last separator: blanking from the
    ';' inside "/x;y" cut the string's closing quote off, and a VP002 'unterminated
    string' was reported at a string that is terminated."""
    from virtc.parse import parse
    from virtc.source import SourceFile

    text = 'guest a on h {\n  memory 1G; disk hda phy "/x;y" bogus\n  vcpus 1\n}\n'
    _, diags = parse(SourceFile("f.virt", text))
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("VP001", 2, 34)], diags


# Stray lines of every shape, some read without the parser past the MAX_ERRORS-th error
# (blanking.stray_line_errors), some not: in blocks, between declarations, at the file's end.
_STRAYS = ["127 error 5:3", "}", "  }", "}   ", "} x", "x y z", "  9 a", "a = b", "host", "  guest g on h1 {",
           "= x", "  memory 1G", "x;y", "x # c", '"s', "x\\", "\tq", "é", "x\r", "#c", "", "  ", "{", "x }", "}}",
           "include", "template t {", "vcpus 1", "  type kvm",
           # words starting with a declaration's letter, or its keyword (counted by the
           # parser when they start with the keyword, even without a word's end after it)
           'g"', "hosts x", "  host-a x", "image foo", "guestx", "t = 1", "incl", "h", 'i"', "tem plate", "guest",
           # statements separated by ';', strings holding one, blank statements, a keyword after one
           '"a; b" = ;', "x;y;z", ";", " ; ;", "a;;b ", 'x "a;b" ; y', '"a;', "a; host h1 { }", "a; guest",
           "a; hosts", "x;\t", "a; {", "a; }", "a; # c", "a ;b\\", "é;é", '" ; "', "a; b\r"]


def test_stray_lines_counted_without_the_parser_are_counted_as_the_parser_counts_them(monkeypatch):
    """Past the MAX_ERRORS-th error a stray line of one error, or of statements separated by
    ';' that each fail, is only counted, without the parser; the parse (tree, diagnostics, the count of the last VP001) is that of
    reading every line with the parser."""
    import random
    import re

    from virtc import blanking
    from virtc import parse as parse_module
    from virtc.source import SourceFile

    rng = random.Random(14)
    head = "host h1 { hypervisor kvm; memory 8G }\nguest g on h1 {\n  type kvm\n}\n"
    texts = [head + "127 error 5:3\n}\n" * 300,
             head + "".join(rng.choice(_STRAYS) + "\n" for _ in range(400)) + "guest h on h1 {\n  type kvm\n}\n"]
    for _ in range(30):
        lines = (head + "guest h on h1 {\n  type kvm; memory 1G\n}\n" * 5).split("\n")
        for _ in range(rng.randrange(20, 200)):
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(_STRAYS))
        texts.append("\n".join(lines))
    fast = [parse_module.parse(SourceFile("f.virt", t)) for t in texts]
    for name in ("_ONE_ERROR_LINE", "_ERROR_STATEMENTS_LINE"):  # every line parsed
        monkeypatch.setattr(blanking, name, re.compile(r"(?!)"))
    slow = [parse_module.parse(SourceFile("f.virt", t)) for t in texts]
    assert fast == slow
    assert sum(parse_module.is_count(diags[-1]) for _, diags in fast) >= 20


_LINES = ["host y { hypervisor xen; d memory is not checked.", "host y {", "guest g on h1 {", "  memory 1G", "template t {",
          "}", 'include "x.virt"', "  x \\", "# c {", '  modprobe a "{"', "  d = 1", "guest g on h1 { type kvm", "host",
          "hostx {", "host-a {", "  guest g on h1 {", "guest\tg {", "template t { memory 1G }", "  nic bridge br0 {",
          "host h { guest g { type kvm", "", "include", "guest g on h1 { memory 1G; cpu intel cores 4 \\", "  }", '"', "  memory 1G \\", "  memory 1G"]


def test_blocks_closed_past_the_first_errors_without_reading_on_are_closed_as_reading_on_closes_them(monkeypatch):
    """Past the MAX_ERRORS-th error a block left open before the next declaration is
    closed without taking the next chunk in (parse._closed_before); the parse is that of
    reading on into it."""
    import random

    from virtc import parse as parse_module
    from virtc.source import SourceFile

    rng = random.Random(14)
    head = "guest q on h {\n" + "  memory = 1\n" * 26 + "}\n"
    texts = [head + "host y { hypervisor xen; d memory is not checked.\n" * 200]
    texts += [head + "\n".join(rng.choice(_LINES) for _ in range(rng.randrange(5, 120))) for _ in range(60)]
    fast = [parse_module.parse(SourceFile("f.virt", t)) for t in texts]
    monkeypatch.setattr(parse_module, "_closed_before", lambda *args: None)
    slow = [parse_module.parse(SourceFile("f.virt", t)) for t in texts]
    assert fast == slow


_STATEMENTS = ["x", "x y", "= 1", "memory = 5", 'x "a; b" =', '"s"', "é", "127", "hypervisor", "memory", 'x "y', "'",
               "host", "guest", "template", "include", "a\\", "x\t\f", "x # c", "x {", "x }", "{", "}", "q\r", ":",
               "bridge xenbr0 on eth0", "memory 1G", "vcpus 2", "[1..3]", "\\", "x \\\n y", '"a\nb"']
_SEPARATORS = ["\n", "\n", ";", " ; ", "\n\n", "\n  \n", "\r\n", "\n\t", "\n\f", ";\n", " # c\n", "\\\n", ";;",
               "\n# c\n"]
_BLOCKS = ["host h1 {\n  hypervisor xen\n", "guest g on h1 {\n  type xen-pv\n", "template t {\n  type kvm\n",
           "host h1 { hypervisor xen; ", "guest g on h1 {", "host h2 {\n"]


_PIECES = ["{", "}", ";", " ", "\n", "x", "=", '"s"', '"a;b"', "host", "host h", "guest g on h", "template t", "memory",
           "1G", "hypervisor xen", "\t", "\f", "# c\n", "\\\n", "\r\n", '"', "'", "[1..2]", "}{", "{ }", "; ;"]


def _error_blocks(rng) -> str:
    out = []
    for _ in range(rng.randint(1, 3)):
        out.append(rng.choice(_BLOCKS))
        indent = rng.choice(["  ", "", "\t"])
        out += [indent + rng.choice(_STATEMENTS) + rng.choice(_SEPARATORS) for _ in range(rng.randint(5, 100))]
        if rng.random() < 0.9:
            out.append("}\n")
    return "".join(out)


def test_errors_counted_inside_the_parsers_loop_are_counted_as_resuming_counts_them(monkeypatch):
    """Past the MAX_ERRORS-th error, a statement whose first word is refused right after a
    separator is blanked inside the parser's loop (Reader._skip) instead of by leaving it
    and resuming: the parse (tree, diagnostics, the count of the last VP001) is that of
    resuming at every error. Blocks of broken statements of every shape, after ';', '{',
    '}' and ends of line (over blank lines, comments, continued lines and CR LF)."""
    import random

    from virtc import parse as parse_module
    from virtc import resumable
    from virtc.source import SourceFile

    rng = random.Random(15)
    texts = [_error_blocks(rng) for _ in range(150)]
    texts += ["host h1 {\n  hypervisor xen\n" + "  x\n" * 300 + "}\n", "host h1 { hypervisor xen; " + "x ; " * 300 + "}\n",
              "host h {\n" + "}{ " * 300,  # at the top level: each '{' refused after the parser reduced
              "host h {\n" + '"\n' * 300 + "}\n"]  # no terminal matches: the error's end found lazily
    # lines whose first character no terminal of the state takes, or takes and refuses
    texts += ["host h1 {\n" + "".join(rng.choice(["", "  ", "\t"]) + rng.choice(['"', "=", "@", "(x", '"x', "'", "=;", "@ x"])
                                     + rng.choice(["\n", "\n\n", "\r\n", ";", "\n  \n"]) for _ in range(200)) + "}\n"
              for _ in range(10)]
    # words, braces and separators at random, at the top level and in blocks
    texts += ["".join(rng.choice(_PIECES) + rng.choice(["", " "]) for _ in range(rng.randint(30, 300)))
              for _ in range(150)]
    taken = {"after ';'": 0, "after an end of line": 0}
    skip = resumable.Reader._skip

    def counting_skip(self, *args):
        on = skip(self, *args)
        if on is not None:
            taken["after ';'" if on[3] is None else "after an end of line"] += 1
        return on

    monkeypatch.setattr(resumable.Reader, "_skip", counting_skip)
    fast = [parse_module.parse(SourceFile("f.virt", t)) for t in texts]
    monkeypatch.setattr(resumable.Reader, "_skip", lambda self, *args: None)
    slow = [parse_module.parse(SourceFile("f.virt", t)) for t in texts]
    for text, a, b in zip(texts, fast, slow):
        assert a == b, text
    assert sum(parse_module.is_count(diags[-1]) for _, diags in fast) >= 50
    assert min(taken.values()) >= 300, taken


def test_a_block_of_broken_statements_is_counted_without_leaving_the_parsers_loop(monkeypatch):
    """4,000 lines of one refused word each, in a host block (and 4,000 errors on one line,
    in a block and at the top level): past the first errors, each is blanked where the
    parser refuses it, and the parse goes on in the same loop; it is not started again
    (Reader.run) for each error."""
    from virtc import parse as parse_module
    from virtc import resumable
    from virtc.source import SourceFile

    runs = {"n": 0}
    run = resumable.Reader.run

    def counting_run(self, *args, **kwargs):
        runs["n"] += 1
        return run(self, *args, **kwargs)

    monkeypatch.setattr(resumable.Reader, "run", counting_run)
    for text in ("host h1 {\n  hypervisor xen\n" + "  x\n" * 4000 + "}\n",
                 "host h1 { hypervisor xen; " + "= 1; " * 4000 + "}\n",
                 "host h {\n}" + "{ }" * 4000):  # (this one was quadratic: each region ran back to the '}')
        runs["n"] = 0
        _, diags = parse_module.parse(SourceFile("f.virt", text))
        assert len(diags) == parse_module.MAX_ERRORS + 1 and f"{4000 - parse_module.MAX_ERRORS:,}" in diags[-1].message
        assert runs["n"] <= parse_module.MAX_ERRORS + 2, runs


_HEADERS = ["guest g", "guest g on h1", "guest g from t on h1", "host h", "host", "template t from", "guest g x y",
            "host h hypervisor xen", "guest g on h1 @", "template t 'x", "guest g[1..3] on h1", "host h {", "guest g;",
            'host "h"', "include x", "guest g on h1 # c", "guest g \\", "guest g\r", "hostx y", "guest g on h1 { type kvm }",
            "{", "  type kvm", "}", "guest g on", "template t", "host h\t\f", "guest g; x", 'include "x.virt"',
            "host h {", "guest g on h1 {", "template t {", "host h { \t", "host {", "guest g x {", "guest g {\n\n",
            "template t from u {", "host h {\r", "host h { # c", "host h {{", "guest g[1..2] on h1 {"]


def test_declaration_lines_that_open_no_block_are_counted_as_the_parser_counts_them(monkeypatch):
    """Past the MAX_ERRORS-th error a declaration's line that opens no block (its own chunk,
    no stray line after it) is only counted, without the parser, and one that opens a
    block and ends there is read without reading on and resuming (parse._opened_line);
    the parse is that of reading every line the general way. Lines of every such shape
    and near misses (a '{' on the next line, a ';', a string, a comment, a continuation,
    CR, a header that does not read, a guest below a host's open block)."""
    import random

    from virtc import blanking
    from virtc import parse as parse_module
    from virtc.source import SourceFile

    rng = random.Random(16)
    head = "host h1 { hypervisor kvm; memory 8G }\n" + "guest q on h1 {\n" + "  memory = 1\n" * 26 + "}\n"
    texts = [head + "guest g\n" * 300]
    for _ in range(80):
        lines = [rng.choice(_HEADERS) + rng.choice(["", "", " ", "\n"]) for _ in range(rng.randrange(20, 200))]
        texts.append(head + "\n".join(lines) + rng.choice(["", "\n"]))
    texts.append(head + "host h {\n" * 300)
    fast = [parse_module.parse(SourceFile("f.virt", t)) for t in texts]
    monkeypatch.setattr(blanking, "_HEADER_ONLY_LINE", __import__("re").compile(r"(?!)"))
    monkeypatch.setattr(parse_module, "_OPENED_LINE", __import__("re").compile(r"(?!)"))
    slow = [parse_module.parse(SourceFile("f.virt", t)) for t in texts]
    for text, a, b in zip(texts, fast, slow):
        assert a == b, text
    assert f"and {1 + 300:,} more" in fast[0][1][-1].message  # the 26th memory line, the guest lines
