"""The editor's incremental check (parse cache, compile memo, rule memo) reports exactly
what a full check of the same text reports: random edit sequences over the examples and a
generated fleet, syntax errors, unclosed blocks and suppression comments included."""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT
from virtc import api
from virtc.checker import run_rules
from virtc.checkmemo import CheckMemo
from virtc.diagnostics import Severity
from virtc.lsp_parsecache import ParseCache, item_starts, starts_of
from virtc.lsp_relocate import check_buffers
from virtc.resolve import compile_sources
from virtc.rulememo import RuleMemo
from virtc.rules.base import Context, Rule, Scope

sys.path.insert(0, str(ROOT / "tests" / "bench"))
from bench_lsp import fleet


def check_document(path, text, cache, memo):
    # virtc.lsp.check_document without pygls (this module runs without the lsp extra)
    return check_buffers(path, {path: text}, cache, memo)


_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[GMK]?(?![\w.])")
_DAMAGE = ["{", "}", '"', ";", "\n", "host ", "guest x ", "template t {", "x", "memory", "1X", "#",
           "\\\n", " on ", "from", "[01..", "=", "}\n}"]


def _edit(rnd: random.Random, text: str, original: str, codes: list[str]) -> str:
    """One edit as a person typing might make it; often valid, sometimes broken."""
    lines = text.split("\n")
    i = rnd.randrange(len(lines))
    kind = rnd.random()
    if kind < 0.30:  # a number changed: memory, vcpus, sizes, ranges
        with_numbers = [j for j, line in enumerate(lines) if _NUMBER.search(line)]
        if with_numbers:
            i = rnd.choice(with_numbers)
            found = list(_NUMBER.finditer(lines[i]))
            m = rnd.choice(found)
            new = rnd.choice(["1", "2", "3", "4", "8", "16", "64", "512M", "2G", "4096", "0"])
            lines[i] = lines[i][:m.start()] + new + lines[i][m.end():]
    elif kind < 0.40:  # a character typed or removed (offsets after it move)
        at = rnd.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rnd.choice([" ", "x", ""]) + lines[i][at + rnd.randint(0, 1):]
    elif kind < 0.50:  # a line inserted or removed (lines after it move)
        if rnd.random() < 0.5:
            lines.insert(i, rnd.choice(["", "# a note", "  vcpus 2", "  memory 1G", "  nic bridge xenbr0"]))
        else:
            del lines[i]
    elif kind < 0.60:  # a block copied: duplicate names, another host's guests
        j = i
        while j < len(lines) and not lines[j].startswith("}"):
            j += 1
        lines[j + 1:j + 1] = lines[i:j + 1]
    elif kind < 0.72 and codes:  # a finding suppressed on its line, or above it
        code = rnd.choice(codes)
        if rnd.random() < 0.5:
            lines[i] += f"  # virtc: ignore[{code}] checked by hand"
        else:
            lines.insert(i, f"# virtc: ignore[{code}] checked by hand")
    elif kind < 0.84:  # damage: syntax errors, unclosed blocks
        at = rnd.randrange(len(text) + 1)
        return text[:at] + rnd.choice(_DAMAGE) + text[at:] if rnd.random() < 0.7 else text[:at] + text[at + 3:]
    elif kind < 0.90:  # a closing brace removed: the block runs into the next one
        closers = [j for j, line in enumerate(lines) if line.strip() == "}"]
        if closers:
            del lines[rnd.choice(closers)]
    else:  # back to the file as it was (the caches still hold the edited pieces)
        return original
    return "\n".join(lines)


def _files() -> list[Path]:
    return sorted([*EXAMPLES.glob("*.virt"), *EXAMPLES.glob("broken/*.virt")])


def _same(path: str, text: str, cache: ParseCache, memo: CheckMemo) -> list[str]:
    inc = check_document(path, text, cache, memo)
    full = api.check([path], texts={path: text})
    assert inc.diagnostics == full.diagnostics, text
    assert inc.model == full.model
    return sorted({d.code for d in full.diagnostics if d.severity is not Severity.ERROR})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_check_equals_full_check_on_examples(seed):
    rnd = random.Random(seed)
    files = _files()
    assert len(files) > 10
    for path in rnd.sample(files, 6):
        original = path.read_text(encoding="utf-8")
        cache, memo, text = ParseCache(), CheckMemo(), original
        codes = _same(str(path), text, cache, memo)
        for _ in range(12):
            text = _edit(rnd, text, original, codes)
            codes = _same(str(path), text, cache, memo) or codes


def test_incremental_check_equals_full_check_on_a_fleet(tmp_path):
    rnd = random.Random(7)
    original = fleet(400)
    path = str(tmp_path / "fleet.virt")
    cache, memo, text = ParseCache(), CheckMemo(), original
    codes = _same(path, text, cache, memo)
    for _ in range(40):
        text = _edit(rnd, text, original, codes)
        codes = _same(path, text, cache, memo) or codes
    assert memo.rules.stats["reused"] > 0 and memo.compile.stats["reused"] > 0  # it did keep work


class _CountsOtherGuests(Rule):
    """A guest rule that reads the whole model, but only for a guest of more than one vCPU:
    the memo must notice when it first does, and not reuse what it found before."""

    code = "VX999"
    scope = Scope.GUEST
    severity = Severity.WARNING

    def guest(self, g):
        if any(o.vcpus > 1 for o in self.ctx.model.guests) if g.vcpus > 1 else False:
            yield self.report("another guest has more than one vCPU", g.span)
        elif g.name == "b":
            yield self.report("b looked only at itself", g.span)


def test_rule_memo_does_not_reuse_a_rule_that_looks_past_its_guest():
    text = ("host h { hypervisor xen; arch x86_64; release 5.8; memory 8G\n  bridge xenbr0 on eth0 }\n"
            "guest a on h { type xen-pv; memory 512M; vcpus 1 }\nguest b on h { type xen-pv; memory 512M; vcpus 2 }\n")
    memo = RuleMemo()

    def found(src):
        model = compile_sources(["/x.virt"], {"/x.virt": src}).model
        memo.begin(model)
        plain = [d.message.split(" (")[0] for d in _CountsOtherGuests().run(Context(model))]
        kept = [d.message.split(" (")[0] for d in memo.run(_CountsOtherGuests, Context(model))]
        memo.end()
        return plain, kept

    plain, kept = found(text.replace("vcpus 2", "vcpus 1"))
    assert plain == kept == ["b looked only at itself"] and "VX999" not in memo.unsafe
    plain, kept = found(text)  # b changed: run again, it reads the model: the rule is run plainly
    assert plain == kept == ["another guest has more than one vCPU"] and "VX999" in memo.unsafe


def test_rule_memo_reuses_findings_of_unchanged_guests(tmp_path):
    text = fleet(300)
    path = str(tmp_path / "f.virt")
    memo = RuleMemo()
    first = run_rules(compile_sources([path], {path: text}).model, memo=memo)
    ran = memo.stats["ran"]
    edited = text.replace("vnc listen 127.0.0.1", "vnc listen 10.0.0.10", 1)  # same length: nothing moves
    again = run_rules(compile_sources([path], {path: edited}).model, memo=memo)
    assert again == run_rules(compile_sources([path], {path: edited}).model)
    assert again != first
    assert memo.stats["ran"] - ran < ran / 10  # one guest (and its host) of ~30 checked again


def test_item_starts_after_an_edit_are_those_of_a_fresh_scan():
    rnd = random.Random(11)
    texts = [p.read_text(encoding="utf-8") for p in _files()] + [fleet(300)]
    for _ in range(300):
        old = rnd.choice(texts)
        new = old
        for _ in range(rnd.randint(1, 2)):
            at = rnd.randrange(len(new) + 1)
            new = new[:at] + rnd.choice([*_DAMAGE, "", "\\", '"x', "# {"]) + new[at + rnd.randint(0, 4):]
        assert starts_of(new, (old, item_starts(old))) == item_starts(new), (old, new)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, end) line ranges of the top-level blocks that open and close on lines of
    their own (`host x {` ... `}`)."""
    out, start = [], None
    for i, line in enumerate(lines):
        if start is None and line.endswith("{") and not line.startswith((" ", "\t")):
            start = i
        elif start is not None and line == "}":
            out.append((start, i + 1))
            start = None
    return out


def _shifting_edit(rnd: random.Random, text: str) -> tuple[str, bool]:
    """An edit that moves what follows it: a block moved elsewhere, blank lines or a
    comment inserted, a character typed or removed; or a syntax error. Also says whether
    the text is broken on purpose (the next edit fixes it)."""
    lines = text.split("\n")
    blocks = _blocks(lines)
    kind = rnd.random()
    if kind < 0.3 and len(blocks) > 2:  # a block cut and pasted before another one
        a, b = rnd.choice(blocks)
        moved = lines[a:b]
        rest = lines[:a] + lines[b:]
        at = rnd.choice([s for s, _ in _blocks(rest)] + [len(rest)])
        return "\n".join(rest[:at] + moved + rest[at:]), False
    i = rnd.randrange(len(lines))
    if kind < 0.5:  # blank lines or a comment inserted (lines after it move)
        lines[i:i] = rnd.choice([[""], ["", ""], ["# moved down"], ["  # inside, maybe"]])
    elif kind < 0.7:  # a character typed or removed (offsets after it move)
        at = rnd.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rnd.choice([" ", "  ", ""]) + lines[i][at + rnd.randint(0, 1):]
    elif kind < 0.8:  # a line removed
        del lines[i]
    else:  # a syntax error, fixed by the next edit
        return text[:(at := rnd.randrange(len(text)))] + rnd.choice(["{", "}", '"', "= ", "vcpu "]) + text[at:], True
    return "\n".join(lines), False


@pytest.mark.parametrize("seed", [21, 22])
def test_incremental_check_equals_full_check_after_moves_and_fixed_errors(tmp_path, seed):
    """Moved blocks and shifted spans are reused (moved to their new place, not made
    again), and a syntax error typed and then fixed leaves the memo as it was: every
    step reports what a full check of the same text reports."""
    rnd = random.Random(seed)
    sources = [("fleet.virt", fleet(300))] + [(p.name, p.read_text(encoding="utf-8")) for p in rnd.sample(_files(), 3)]
    for name, original in sources:
        path = str(tmp_path / name)
        cache, memo, text = ParseCache(), CheckMemo(), original
        _same(path, text, cache, memo)
        for _ in range(16):
            before = text
            text, broken = _shifting_edit(rnd, text)
            _same(path, text, cache, memo)
            if broken:  # fixed again
                text = before
                _same(path, text, cache, memo)


def test_moved_blocks_are_reused_not_made_again(tmp_path):
    text = fleet(400)
    path = str(tmp_path / "f.virt")
    cache, memo = ParseCache(), CheckMemo()
    _same(path, text, cache, memo)
    made, ran = memo.compile.stats["made"], memo.rules.stats["ran"]
    lines = text.split("\n")
    first, end = _blocks(lines)[3]  # a guest block moves to the end; blank lines at the top
    moved = "\n".join(["", ""] + lines[:first] + lines[end:-1] + lines[first:end] + [""])
    _same(path, moved, cache, memo)
    # the moved guest and its host are made and checked again (the guest is not one of
    # the blocks kept in order); nothing else is
    assert memo.compile.stats["made"] - made < made / 10
    assert memo.rules.stats["ran"] - ran < ran / 10
    made = memo.compile.stats["made"]
    broken = moved.replace("vcpus 2", "vcpu 2", 1)  # a syntax error, then its fix
    _same(path, broken, cache, memo)
    made = memo.compile.stats["made"]
    _same(path, moved, cache, memo)
    assert memo.compile.stats["made"] == made  # the memo from before the error is back


def test_fields_declared_plain_hold_no_spans():
    """virtc.lsp_relocate skips the fields whose declared type holds no span (str, int,
    tuple[str, ...]): the model's values must agree with their annotations."""
    import dataclasses

    from virtc.lsp_relocate import _plain
    from virtc.source import Span

    def holds_span(v) -> bool:
        if isinstance(v, Span):
            return True
        if isinstance(v, (tuple, list, frozenset, set)):
            return any(holds_span(x) for x in v)
        if isinstance(v, dict):
            return any(holds_span(x) for x in v.values())
        return dataclasses.is_dataclass(v) and not isinstance(v, type)

    seen: set[int] = set()

    def walk(obj):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, (tuple, list)):
            for x in obj:
                walk(x)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                if _plain(f.type):
                    assert not holds_span(value), (type(obj).__name__, f.name, f.type)
                walk(value)

    for path in _files()[:20]:
        model = compile_sources([str(path)]).model
        if model is not None:
            walk(model)
    walk(compile_sources(["/f.virt"], {"/f.virt": fleet(200)}).model)
    assert len(seen) > 1000
