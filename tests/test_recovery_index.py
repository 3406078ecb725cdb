"""Recovery's lookups stay linear in the file, each checked against the plain scan it
replaced.

recovery.after_syntax_errors finds a diagnostic's declaration through a map of lines; it
did so with a scan of every declaration holding an error per diagnostic (quadratic: 6 s
for 800 KB of broken guests). The scan is kept here as the reference, and both must drop
the same diagnostics on random files of hosts, nested and top-level guests and templates,
with syntax errors among them (some past the ones reported one by one)."""
from __future__ import annotations

import bisect
import random

import pytest
from virtc import recovery
from virtc.api import check
from virtc.blanking import block_end, statement_extent, statement_region
from virtc.diagnostics import Diagnostic
from virtc.parse import is_count
from virtc.recovery import ABSENT, DANGLING, _declarations
from virtc.resolve import compiler
from virtc.syntax import FileSyntax

_WORD = recovery._WORD


def scan_per_diagnostic(diags: list[Diagnostic], trees: dict[str, FileSyntax],
                        texts: dict[str, str]) -> list[Diagnostic]:
    """`diags` without what the syntax errors among them make unreliable; `texts` are the
    files' contents by path."""
    # (VP004, a block left open, blanks nothing: the parser closes the block and reads on)
    errors = [(d.span.file, d.span.line) for d in diags
              if d.code.startswith("VP") and d.code != "VP004" and d.span is not None]
    if not errors:
        return diags
    # Indexed by file, so each check costs a lookup, not a pass over every error: a file
    # may hold thousands of them (only the first are reported, all are passed in).
    failed_words: set[str] = set()
    failed_text: list[str] = []
    lines_of: dict[str, list[str]] = {}
    error_lines: dict[str, list[int]] = {}
    for f, line in errors:
        lines = lines_of.get(f)
        if lines is None:
            lines = lines_of[f] = texts.get(f, "").splitlines()
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        failed_text.append(text)
        failed_words.update(_WORD.findall(text))
        error_lines.setdefault(f, []).append(line)
    for ls in error_lines.values():
        ls.sort()
    # Past the errors reported one by one (virtc.parse.MAX_ERRORS) the others are only
    # counted: from the count's line on, every declaration of that file may hold one, and
    # any name may have been declared on a line that failed.
    counted = {d.span.file: d.span.line for d in diags if is_count(d)}

    def has_error(f: str, first: int, last: int) -> bool:
        if f in counted and last >= counted[f]:
            return True
        ls = error_lines.get(f)
        if not ls:
            return False
        i = bisect.bisect_left(ls, first)
        return i < len(ls) and ls[i] <= last

    poisoned: dict[str, list] = {}
    for syntax in trees.values():
        for decl in _declarations(syntax):
            s = decl.span
            if has_error(s.file, s.line, s.end_line):
                poisoned.setdefault(s.file, []).append(decl)

    def written_where_it_failed(d: Diagnostic) -> bool:
        s = d.span
        text = texts.get(s.file, "") if s is not None else ""
        name = text[s.start:s.end] if s is not None and s.end > s.start else ""
        if not name:
            return False
        if _WORD.fullmatch(name):  # a name: one of the words of the failed lines?
            return name in failed_words
        return any(name in line for line in failed_text)

    def unreliable(d: Diagnostic) -> bool:
        if d.code.startswith("VP"):
            return False
        if d.code in DANGLING:
            return bool(counted) or written_where_it_failed(d)
        s = d.span
        for decl in poisoned.get(s.file, ()) if s is not None else ():
            p = decl.span
            if p.line <= s.line <= p.end_line:
                header = getattr(decl, "header", p)
                return d.code in ABSENT or s.line == header.line
        return False

    return [d for d in diags if not unreliable(d)]


def random_file(rng: random.Random) -> str:
    out = []
    for i in range(rng.randint(1, 40)):
        broken = rng.random() < 0.3
        memory = "memory = 1G" if broken else rng.choice(["memory 1G", "memory 99T", ""])
        guest = (f"guest g{i} on h{i % 3} {{ type xen-pv; {memory}; nic bridge br{i % 2} }}" if rng.random() < 0.5
                 else f"guest g{i} from t{i % 4} {{\n  {memory}\n  disk xvda phy \"/dev/x\"\n}}")
        kind = rng.randrange(4)
        if kind == 0:
            out.append(f"host h{i} {{\n  hypervisor xen; {memory}\n  {guest}\n}}")
        elif kind == 1:
            out.append(f"template t{i} {{ type xen-pv; {memory} }}")
        else:
            out.append(guest)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("seed", range(3))
def test_the_same_diagnostics_are_dropped_as_by_a_scan_per_diagnostic(seed, monkeypatch):
    rng = random.Random(seed)
    seen = []

    def both(diags, trees, texts):
        new = recovery.after_syntax_errors(diags, trees, texts)
        assert new == scan_per_diagnostic(diags, trees, texts)
        seen.append(len(diags) - len(new))
        return new

    monkeypatch.setattr(compiler, "after_syntax_errors", both)
    for _ in range(60):
        check(["a.virt"], texts={"a.virt": random_file(rng)})
    assert len(seen) > 20 and sum(seen) > 0  # files with syntax errors, and something dropped


# blanking.statement_region looked for each separator on its own, back to the start of
# the text and forward to its end: for every error in a long block, the block's length.
def region_by_whole_scans(text: str, pos: int, floor: int | None = None) -> tuple[int, int]:
    """The failed statement around offset pos: from the previous separator to the next one.
    A region that opens a block takes the whole block, so no stray '}' follows. `floor`:
    where the lexer's last separator token before pos ended; a separator character after
    it is inside a string or a comment, and the statement starts at the floor (blanking
    from inside a string made the string run on over every statement blanked after it:
    quadratic on a line of unbalanced quotes)."""
    # the separators are looked for in C (str.rfind, str.find): see blank
    start = max(text.rfind(c, 0, pos) for c in ";\n{}") + 1
    if floor is not None and floor < start:
        start = floor
    end = pos
    if end < len(text) and text[end] in "}":
        return start, end
    found = [i for i in (text.find(c, pos) for c in ";\n}") if i >= 0]
    end = min(found) if found else len(text)
    upto = end + 1 if end < len(text) and text[end] == "\n" else end
    braces = list(_braces(text, start))
    if any(c == "{" and i < upto for i, c in braces):
        depth = 0
        for i, c in braces:  # only the braces: a block can run to the file's end
            if c == "{":
                depth += 1
            else:
                depth -= 1
                if depth <= 0 and i >= pos:
                    return start, i + 1
        return start, len(text)
    return start, end


def _braces(text: str, start: int):
    """(offset, brace) of the braces from `start` on that are outside strings and
    comments, read one character at a time as the lexer reads them: a string is '"' to
    the next unescaped '"' on its line (an escape takes any character but a line break),
    a '"' that closes nowhere is a character of its own, a comment '#' to the line's end."""
    i, n = start, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                if text[j] == "\\":
                    if j + 1 >= n or text[j + 1] == "\n":
                        break
                    j += 2
                else:
                    j += 1
            if j < n and text[j] == '"':
                i = j + 1
                continue
        elif c == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        elif c in "{}":
            yield i, c
        i += 1


def test_a_statement_s_region_is_the_one_whole_scans_find():
    """Short texts, and long runs with no separator (statement_extent looks back and forth
    near first, in growing windows)."""
    rng = random.Random(7)
    for i in range(20_000):
        text = "".join(rng.choice('ab ;\n{}"#\\\r') for _ in range(rng.randint(0, 30)))
        if i % 10 == 0:
            text = text[:len(text) // 2] + "a" * rng.randint(200, 3000) + text[len(text) // 2:]
        pos = rng.randint(0, len(text))
        floor = rng.choice([None, rng.randint(0, pos)])
        assert statement_region(text, pos, floor) == region_by_whole_scans(text, pos, floor), (text, pos, floor)


def test_a_region_left_open_goes_on_in_the_text_added_as_whole_scans_find():
    """A region that runs to the text's end through a block left open: with text added
    after (from a line's start, as parse._still_open takes in a chunk), block_end's scan of
    the text added from the depth statement_extent left finds the region whole scans of the
    longer text find."""
    rng = random.Random(8)
    left_open = 0
    for _ in range(20_000):
        text = "".join(rng.choice('ab ;\n{}"#\\\r') for _ in range(rng.randint(1, 30)))
        pos = rng.randint(0, len(text) - 1)  # an error inside the text (one at its end is not blanked)
        floor = rng.choice([None, rng.randint(0, pos)])
        start, end, depth = statement_extent(text, pos, floor)
        if depth is None:
            continue
        left_open += 1
        assert end == len(text)
        # added at a line's start, as parse cuts its chunks (before a declaration's line):
        # no string or comment of the text runs on into it
        more = "\n" + "".join(rng.choice('ab ;\n{}') for _ in range(rng.randint(0, 30)))
        closed, _ = block_end(text + more, len(text), len(text) + len(more), depth)
        assert region_by_whole_scans(text + more, pos, floor) == (start, closed or len(text + more)), (text, more)
    assert left_open > 1000
