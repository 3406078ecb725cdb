"""Reading the .virt files to compile and the files they include, through a loader and a
parser the caller chooses: the file system and virtc.parse.parse for the CLI, the open
buffers and the parse cache for the editor server. Both are passed in, so compiles on
several threads share nothing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from .bounds import BOUNDS
from .diagnostics import Diagnostic, Related, error
from .source import SourceFile, Span
from .syntax import FileSyntax, Include
from .walk import files_under

FILE_BYTES, FILE_LINES, INCLUDE_DEPTH = BOUNDS["file_bytes"], BOUNDS["file_lines"], BOUNDS["include_depth"]
MAX_FILE_BYTES = FILE_BYTES.value

# path -> the file's source, or None and why it cannot be used
Loader = Callable[[str], "tuple[SourceFile | None, str | None]"]
# source -> its syntax tree (None when it has syntax errors) and diagnostics, as virtc.parse.parse
Parser = Callable[[SourceFile], "tuple[FileSyntax | None, list[Diagnostic]]"]


class NotFound(str):
    """A loader's problem for a path with nothing behind it (an include of it 'does not
    exist'); any other problem is about a file that is there but cannot be used."""


class OverLimit(str):
    """A loader's problem for a file larger than virtc reads (VR042, not VR009)."""


def over_limit(src: SourceFile) -> str | None:
    """What makes a file's text too large for virtc (bounds.py), or None."""
    if len(src.text) > FILE_BYTES.value:
        return f"the file is larger than {FILE_BYTES.shown}, the most virtc reads"
    lines = src.text.count("\n") + 1
    if lines > FILE_LINES.value:
        return f"the file has {lines:,} lines; virtc reads at most {FILE_LINES.value:,}"
    return None


def read_source(path: str) -> tuple[SourceFile | None, str | None]:
    """The loader of the file system: a file's text, or the reason it cannot be used."""
    try:
        size = os.path.getsize(path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        return None, NotFound(getattr(exc, "strerror", None) or str(exc))
    if size > MAX_FILE_BYTES:
        return None, OverLimit(f"the file is larger than {FILE_BYTES.shown}, the most virtc reads")
    try:
        with open(path, "rb") as fh:
            # at most one byte over the limit: a device (`include "/dev/zero"`) or a file
            # growing meanwhile says size 0 or less than it holds
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, exc.strerror or str(exc)
    if len(data) > MAX_FILE_BYTES:
        return None, OverLimit(f"the file is larger than {FILE_BYTES.shown}, the most virtc reads")
    if b"\0" in data:
        return None, "file is binary (contains NUL bytes)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"file is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    return SourceFile(path, text.removeprefix("\ufeff")), None


def buffers_first(buffers: dict[str, str], fallback: Loader = read_source) -> Loader:
    """A loader reading the given texts (an editor's unsaved buffers, by path), and every
    other file through `fallback`."""
    by_path = {os.path.normpath(p): t for p, t in buffers.items()}

    def load(path: str) -> tuple[SourceFile | None, str | None]:
        text = by_path.get(os.path.normpath(path))
        if text is not None:
            return SourceFile(path, text), None
        return fallback(path)

    return load


@dataclass
class Loaded:
    files: list[FileSyntax] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    diags: list[Diagnostic] = field(default_factory=list)


def load(paths: list[str], texts: dict[str, str] | None, loader: Loader, parser: Parser) -> Loaded:
    """Read and parse `paths` (`texts` gives the contents of some of them) and what they
    include, each file once; include problems (missing files, cycles) are diagnostics."""
    return _Loading(loader, parser).run(paths, texts or {})


class _Loading:
    def __init__(self, loader: Loader, parser: Parser):
        self.loader, self.parser = loader, parser
        self.out = Loaded()
        self.done: set[str] = set()
        # one read per file and compile: an include is looked up (does it exist?) before
        # it is loaded, and a file included twice is not read twice
        self.reads: dict[str, tuple[SourceFile | None, str | None]] = {}

    def run(self, paths: list[str], texts: dict[str, str]) -> Loaded:
        for p in paths:
            self.load(p, [], texts.get(p))
        return self.out

    def read(self, path: str) -> tuple[SourceFile | None, str | None]:
        key = os.path.normpath(path)
        if key not in self.reads:
            self.reads[key] = self.loader(path)
        return self.reads[key]

    def load(self, path: str, stack: list[tuple[str, Span | None]], text: str | None = None) -> None:
        out = self.out
        key = os.path.normpath(path)
        if key in self.done:
            return
        self.done.add(key)
        src, problem = (SourceFile(path, text), None) if text is not None else self.read(path)
        if src is not None and over_limit(src):
            src, problem = None, OverLimit(over_limit(src))
        if isinstance(problem, OverLimit):
            span = stack[-1][1] if stack else None
            out.diags.append(error(FILE_BYTES.code, f"'{path}': {problem}", span,
                                   hint="split it into files that include each other"))
            return
        if src is None:
            span = stack[-1][1] if stack else None
            if span is not None:
                out.diags.append(error("VR009", f"cannot include '{path}': {problem}", span))
            else:
                out.diags.append(error("VR009", f"cannot read '{path}': {problem}", None))
            return
        out.sources[path] = src
        syntax, diags = self.parser(src)
        out.diags.extend(diags)
        if syntax is None:
            return
        out.files.append(syntax)
        for item in syntax.items:
            if isinstance(item, Include):
                self.include(item, key, stack, path)

    def include(self, item: Include, key: str, stack: list[tuple[str, Span | None]], path: str) -> None:
        target = os.path.normpath(os.path.join(os.path.dirname(path), item.path.text))
        chain = [p for p, _ in stack] + [key]
        if target in chain:
            cycle = " -> ".join(chain[chain.index(target):] + [target])
            related = tuple(Related(s, "included here") for _, s in stack if s is not None)
            self.out.diags.append(error("VR010", f"include cycle: {cycle}", item.span, related=related,
                                        hint="remove one of the includes in the cycle"))
            return
        if len(stack) + 1 >= INCLUDE_DEPTH.value:
            self.out.diags.append(error(INCLUDE_DEPTH.code, f"includes nest more than {INCLUDE_DEPTH.value} deep "
                                        f"here; virtc reads at most {INCLUDE_DEPTH.value} levels", item.span,
                                        hint="include the files from one top-level file instead of a chain"))
            return
        _src, problem = self.read(target)
        if isinstance(problem, NotFound):
            self.out.diags.append(error("VR009", f"included file '{item.path.text}' does not exist",
                                        item.path.span, hint=f"looked for {target}"))
            return
        self.load(target, stack + [(key, item.span)])


def expand(paths: list[str]) -> list[str]:
    """Files as given; a folder stands for the .virt files under it."""
    out = []
    for p in paths:
        if p != "-" and os.path.isdir(p):
            out.extend(sorted(f for f in files_under(p) if f.endswith(".virt") and os.path.isfile(f)))
        else:
            out.append(p)
    return out
