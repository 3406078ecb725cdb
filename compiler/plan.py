"""Plan: what `virtc build -o DIR` would change in DIR, as a unified diff; writes nothing.

A build replaces DIR as a whole, so the plan compares the tree it would write with every
file DIR holds now (not only those the manifest lists): a file someone added by hand is
deleted by the next build, and the plan says so. The diff is in git's format (`diff --git`
headers, `--- a/PATH` / `+++ b/PATH`, /dev/null for new and removed files, mode 120000
for symlinks, whose content is their target), so `git apply` run inside DIR turns the old
tree into the new one and any diff viewer shows it.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field

from virtc.targets import Artifact

from .build import MANIFEST_NAME, BuildError, read_manifest

FILE_MODE, EXEC_MODE, LINK_MODE = "100644", "100755", "120000"


@dataclass(frozen=True)
class Entry:
    """One path of a tree: a file (its bytes, its git mode) or a symlink (its target)."""

    mode: str
    data: bytes

    @property
    def is_link(self) -> bool:
        return self.mode == LINK_MODE


@dataclass
class Change:
    path: str
    kind: str  # "add", "change" or "remove"
    diff: str


@dataclass
class Plan:
    dest: str
    exists: bool  # False: the build would create DEST
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    edited: list[str] = field(default_factory=list)  # changed since virtc wrote them
    unlisted: list[str] = field(default_factory=list)  # in DEST but not in its manifest

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


def built_tree(arts: list[Artifact]) -> dict[str, Entry]:
    """The tree a build writes, as write_tree writes it (text as UTF-8, links as targets)."""
    return {a.path: Entry(LINK_MODE, a.link.encode()) if a.link is not None
            else Entry(FILE_MODE, a.text.encode("utf-8")) for a in arts}


def read_tree(dest: str) -> dict[str, Entry]:
    """Every file and symlink under dest (the manifest aside), by '/'-separated path."""
    out = {}
    for folder, dirs, files in os.walk(dest):
        rel = os.path.relpath(folder, dest)
        # a symlink to a folder is listed among the folders; os.walk does not enter it
        for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(folder, d)))]:
            full = os.path.join(folder, name)
            path = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
            if path == MANIFEST_NAME:
                continue
            if os.path.islink(full):
                out[path] = Entry(LINK_MODE, os.fsencode(os.readlink(full)))
            elif os.path.isfile(full):
                with open(full, "rb") as fh:
                    data = fh.read()
                mode = EXEC_MODE if os.stat(full).st_mode & 0o111 else FILE_MODE
                out[path] = Entry(mode, data)
    return out


def check_dest(dest: str) -> bool:
    """Whether dest exists; BuildError when a build could not replace it (as write_tree)."""
    if not os.path.lexists(dest):
        return False
    if not os.path.isdir(dest):
        raise BuildError(f"{dest} exists and is not a folder")
    entries = os.listdir(dest)
    if entries and MANIFEST_NAME not in entries:
        raise BuildError(f"{dest} is not a virtc output folder: it is not empty and has no {MANIFEST_NAME} "
                         "(virtc build would refuse to replace it); choose another folder or empty it")
    return True


def plan(arts: list[Artifact], dest: str) -> Plan:
    exists = check_dest(dest)
    old = read_tree(dest) if exists else {}
    new = built_tree(arts)
    result = Plan(dest, exists)
    manifest = read_manifest(dest) if exists else {}
    for path, entry in sorted(old.items()):
        recorded = manifest.get(path)
        if recorded is None:
            result.unlisted.append(path)
        elif recorded != _fingerprint(entry):
            result.edited.append(path)
    result.edited.extend(sorted(p for p in manifest if p not in old))  # deleted by hand
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before == after:
            result.unchanged += 1
        elif before is None:
            result.changes.append(Change(path, "add", file_diff(path, None, after)))
        elif after is None:
            result.changes.append(Change(path, "remove", file_diff(path, before, None)))
        elif before.is_link != after.is_link:  # git shows a type change as remove + add
            result.changes.append(Change(path, "change", file_diff(path, before, None)
                                         + file_diff(path, None, after)))
        else:
            result.changes.append(Change(path, "change", file_diff(path, before, after)))
    return result


def _fingerprint(entry: Entry) -> str:
    if entry.is_link:
        return f"-> {os.fsdecode(entry.data)}"
    return hashlib.sha256(entry.data).hexdigest()


def _lines(data: bytes) -> list[str] | None:
    """The lines of a text file, each with its newline (the last may lack one); None if
    the bytes are not UTF-8 text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\0" in text:
        return None
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def file_diff(path: str, before: Entry | None, after: Entry | None) -> str:
    """git's diff of one path: a header, then hunks (whole file for an add or remove)."""
    a = f"a/{path}" if before is not None else "/dev/null"
    b = f"b/{path}" if after is not None else "/dev/null"
    out = [f"diff --git a/{path} b/{path}\n"]
    if before is None:
        out.append(f"new file mode {after.mode}\n")
    elif after is None:
        out.append(f"deleted file mode {before.mode}\n")
    elif before.mode != after.mode:
        out.append(f"old mode {before.mode}\nnew mode {after.mode}\n")
    old = _lines(before.data) if before is not None else []
    new = _lines(after.data) if after is not None else []
    if old is None or new is None:
        out.append(f"Binary files {a} and {b} differ\n")
        return "".join(out)
    if old == new:  # only the mode changed
        return "".join(out)
    hunks = list(difflib.unified_diff(old, new, a, b))
    if not hunks:  # an empty file added or removed: git prints no hunk either
        return "".join(out)
    for line in hunks:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def render(p: Plan, color: bool = False) -> str:
    """The diff of every change (for stdout)."""
    text = "".join(c.diff for c in p.changes)
    if not color:
        return text
    paint = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith(("diff --git", "--- ", "+++ ", "new file", "deleted file", "old mode", "new mode")):
            out.append(f"\033[1m{line.rstrip(chr(10))}\033[0m\n")
        elif line[:1] in paint:
            out.append(f"{paint[line[0]]}{line.rstrip(chr(10))}\033[0m\n")
        else:
            out.append(line)
    return "".join(out)


def summary(p: Plan) -> str:
    """What the plan found, for people (for stderr)."""
    lines = []
    for path in p.edited:
        lines.append(f"note: {path} was changed or removed since virtc wrote it; a build replaces it")
    for path in p.unlisted:
        lines.append(f"note: {path} was not written by virtc; a build removes it")
    if not p.exists:
        lines.append(f"{p.dest} does not exist: a build would create it")
    if p.has_changes:
        lines.append(f"plan: {p.count('add')} to add, {p.count('change')} to change, "
                     f"{p.count('remove')} to remove in {p.dest} ({p.unchanged} unchanged)")
    else:
        lines.append(f"no changes: {p.dest} is up to date ({p.unchanged} files)")
    return "\n".join(lines) + "\n"
