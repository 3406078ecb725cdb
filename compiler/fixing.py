"""`--fix`, `--unsafe-fixes` and `--diff` of `virtc check` and `virtc lint`: run, apply the
findings' fixes file by file (virtc.fixes), read and check again, until nothing more is
fixed; then write each changed file whole, atomically, or show the changes as diffs.

A command gives `run(texts)`: its outcome, reading the given texts in place of the files
of those paths when `texts` is not None (check can; lint reads the disk, so each pass is
written before the next, and --diff shows one pass).
"""
from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from . import fixes
from .outcome import Outcome

BOM = "\ufeff"


@dataclass
class Fixed:
    result: Outcome  # the outcome of the last run: what remains
    applied: int = 0  # findings fixed
    before: dict[str, str] = field(default_factory=dict)  # path -> text as first read
    after: dict[str, str] = field(default_factory=dict)  # path -> text with the fixes
    problems: list[str] = field(default_factory=list)  # files that could not be written

    @property
    def changed(self) -> list[str]:
        return sorted(p for p in self.after if self.after[p] != self.before[p])


def _on_disk(path: str) -> str | None:
    """The file's text as it is on disk (a byte-order mark kept), or None when it is not
    a file virtc can write back (stdin, a file that went away)."""
    if path.startswith("<") or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def run(runner: Callable[[dict[str, str] | None], Outcome], *, unsafe: bool, in_memory: bool,
        write: bool, stdin: tuple[str, ...] = ()) -> Fixed:
    """Fix until no fix applies (or fixes.MAX_PASSES). `write`: write the changed files;
    without it (--diff) nothing is written, and a runner that reads the disk gets one pass.
    `stdin`: the names of texts read from stdin, which are not files to write."""
    texts: dict[str, str] = {}
    out = Fixed(runner(None))
    for _ in range(fixes.MAX_PASSES):
        by_file: dict[str, list] = {}
        for d in out.result.diagnostics:
            if fixes.wanted(d, unsafe) and d.fix.file in out.result.sources:
                by_file.setdefault(d.fix.file, []).append(d.fix)
        progress = False
        for path, found in sorted(by_file.items()):
            disk = None if path in stdin else _on_disk(path)
            if disk is None:
                continue
            source = out.result.sources[path].text
            bom = BOM if disk.startswith(BOM) and not source.startswith(BOM) else ""
            if bom + source != (texts.get(path, disk)):
                out.problems.append(f"{path}: changed while virtc read it; not fixed")
                continue
            new, taken = fixes.apply(source, found)
            if not taken:
                continue
            out.before.setdefault(path, disk)
            texts[path] = bom + new
            out.applied += len(taken)
            progress = True
        if not progress:
            break
        if not in_memory:
            if not write:
                break
            _write_all(out, texts)
        out.result = runner({p: t.removeprefix(BOM) for p, t in texts.items()} if in_memory else None)
    out.after = dict(texts)
    if write and in_memory:
        _write_all(out, texts)
    return out


def _write_all(out: Fixed, texts: dict[str, str]) -> None:
    for path in sorted(texts):
        try:
            write_atomically(path, texts[path])
        except OSError as exc:
            out.problems.append(f"cannot write {path}: {exc.strerror or exc}")


def write_atomically(path: str, text: str) -> None:
    """Write the file whole under a temporary name in its folder, then rename it into place:
    a reader sees the old file or the new one, never half of it. A link is followed (the
    file it names is replaced, the link stays), and the file keeps its permissions."""
    real = os.path.realpath(path)
    folder, name = os.path.split(real)
    mode = os.stat(real).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".virtc-fix", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def diff(fixed: Fixed) -> str:
    """Unified diffs of every file the fixes change, as `git diff` shows them."""
    out = []
    for path in fixed.changed:
        rel = os.path.relpath(path)
        label = path if rel.startswith("..") else rel
        out.extend(difflib.unified_diff(fixed.before[path].splitlines(keepends=True),
                                        fixed.after[path].splitlines(keepends=True),
                                        f"a/{label.lstrip('/')}", f"b/{label.lstrip('/')}"))
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n\\ No newline at end of file\n"
    return "".join(out)


def summary(fixed: Fixed, write: bool) -> str:
    """ruff's last line: `Fixed 3 findings (1 remaining).`, or with --diff `Would fix 3 findings.`"""
    n = fixed.applied
    noun = "finding" if n == 1 else "findings"
    if not write:
        return f"Would fix {n} {noun}." if n else "No fixes available."
    return f"Fixed {n} {noun} ({len(fixed.result.diagnostics)} remaining)."
