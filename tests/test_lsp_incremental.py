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
from virtc.resolve import compile_sources
from virtc.rulememo import RuleMemo
from virtc.rules.base import Context, Rule, Scope

sys.path.insert(0, str(ROOT / "tests" / "bench"))
from bench_lsp import fleet


def check_document(path, text, cache, memo):
    # virtc.lsp.check_document without pygls (this module runs without the lsp extra)
    from virtc.loading import buffers_first

    return api.check([path], loader=buffers_first({path: text}), parser=cache.parse, memo=memo)


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
