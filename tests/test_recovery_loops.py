"""Recovery reads a chunk with parsetree's loop and, where it refuses, with Lark's loop
from the last separator kept (resumable.Reader.run). Reading every chunk with Lark's loop
alone must give the same syntax and the same diagnostics: broken files of every shape
(characters inserted, deleted and doubled: quotes, braces, '=', separators, words)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from virtc import parse, resumable
from virtc.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(p for d in ("examples", "tests/cases") for p in (ROOT / d).rglob("*.virt"))
NOISE = ['"', "{", "}", ";", "\n", "=", " ", "host g {", "guest x on h {", "memory", "# c", "\\\n", "'"]


def broken(rng: random.Random, most: int = 12) -> str:
    text = rng.choice(FILES).read_text(encoding="utf-8", errors="replace")
    for _ in range(rng.randint(1, most)):
        i = rng.randint(0, len(text))
        op = rng.randrange(3)
        if op == 0:
            text = text[:i] + rng.choice(NOISE) + text[i:]
        elif op == 1:
            text = text[:i] + text[i + rng.randint(1, 20):]
        else:
            j = min(len(text), i + rng.randint(1, 200))
            text = text[:j] + text[i:j] + text[j:]
    return text


def lark_only(self, more=False, lean=False):
    return self._run_lark(more)


@pytest.mark.parametrize("seed, most", [(0, 12), (1, 12), (2, 12), (3, 12), (4, 150), (5, 150)])
def test_both_loops_recover_alike(seed, most, monkeypatch):
    """With up to 150 changes a file, many hold more errors than are reported one by one."""
    rng = random.Random(seed)
    texts = [broken(rng, most) for _ in range(120)]
    fast = [parse.parse(SourceFile("f.virt", t)) for t in texts]
    monkeypatch.setattr(resumable.Reader, "run", lark_only)
    slow = [parse.parse(SourceFile("f.virt", t)) for t in texts]
    errors = 0
    for text, a, b in zip(texts, fast, slow):
        assert a == b, text
        errors += len(a[1])
    assert errors > 200  # the files are broken: recovery ran, many times
