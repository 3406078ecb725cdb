"""What virtc knows about one file format, in one place.

A format says where its files live on a RHEL 5 host, how a loose copy of one is
recognised, how it is read into the model, how it is written (or that virtc only reads
it), which format-level rules check it, which host facts it states and which schema
validates it. The registry (targets/__init__.py) lists every format; `virtc lint`,
`virtc build`, `virtc formats` and the rule registry all go through it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from virtc.owner import Owner


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file of the output tree: 'HOST/etc/xen/web01'. A link points at another file."""

    path: str
    text: str = ""
    link: str | None = None  # relative symlink target, e.g. "../web01"
    source: Owner | None = None  # the host or guest that produced it


def glob_pattern(glob: str) -> re.Pattern:
    """A path glob as a regex: `*` and `?` stay inside one folder, `**/` is any depth,
    `[...]` is a character class."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            end = glob.index("]", i)
            out.append(glob[i:end + 1])
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


# Files the tools themselves leave beside a configuration (rpm's and editors' copies):
# never the configuration in use.
BACKUPS = ("*.rpmnew", "*.rpmsave", "*.rpmorig", "*.orig", "*.bak", "*~", "*.swp", ".*")


@dataclass(frozen=True)
class Format:
    name: str  # "xm", "domain-xml": what diagnostics, `virtc formats` and the tests call it
    title: str  # one line for people
    # Where it lives on a RHEL 5 host: globs relative to the root of a host's tree, the
    # canonical place first (it wins when a single-instance format is found twice).
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # globs (of the file name, or of the whole path) that are something else
    # A loose file (given by name, outside a host tree): its name matches one of these
    # globs (a strong sign), or its content passes recognise() (for names that say nothing).
    names: tuple[str, ...] = ()
    recognise: Callable[[str], bool] | None = None
    read: Callable | None = None  # read(text, path) -> readback.Found
    # emit(model) -> [Artifact]; None: virtc only reads it. A host's files may depend on that
    # host and its guests only: builds run it host by host and cache each (virtc.buildcache).
    emit: Callable | None = None
    target: str | None = None  # the `virtc build --emit` name of its emitter
    rules: tuple[type, ...] = ()  # its format-level rules (the codes its reader reports too)
    facts: tuple[str, ...] = ()  # host facts its files state (compiler/lint.py FACTS)
    schema: str | None = None  # the RelaxNG schema that validates it (libvirt's XML)
    single: bool = False  # at most one per host (a second file is a conflict)
    comments: str = "#"  # the characters that start a comment ("#", "#;", "#!"), "xml", or "" (none)
    trailing: bool = False  # a comment may follow text on a line (Python, shell); else whole lines only
    link: bool = False  # only its presence counts (autostart links): the file is not opened
    # a link format whose place may hold a copy instead of a link, which its program reads
    # (xendomains runs `xm create` on each file of /etc/xen/auto): a copy is then opened
    copies_read: bool = False
    xml_root: str | None = None  # the root element of an XML format
    notes: tuple[str, ...] = field(default=())  # what the README's table says about it

    @cached_property
    def _paths(self) -> tuple[re.Pattern, ...]:
        return tuple(glob_pattern(p) for p in self.paths)

    @cached_property
    def _exclude(self) -> tuple[re.Pattern, ...]:
        return tuple(glob_pattern(p) for p in self.exclude + BACKUPS)

    def excluded(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return any(p.match(name) or p.match(rel) for p in self._exclude)

    def at(self, rel: str) -> bool:
        """Does a file at `rel` (relative to a host tree's root) belong to this format?"""
        return any(p.match(rel) for p in self._paths) and not self.excluded(rel)

    def rank(self, rel: str) -> int:
        """Which of the format's places `rel` is (0: the canonical one)."""
        return next((i for i, p in enumerate(self._paths) if p.match(rel)), len(self.paths))

    def ends_at(self, path: str) -> bool:
        """A loose file whose path ends with one of this format's places (a copy of a
        host's etc/ somewhere else: .../copy/etc/xen/web01)."""
        return self.rank_at_end(path) < len(self.paths)

    def rank_at_end(self, path: str) -> int:
        """rank() of the place a loose file's path ends with (len(paths): none)."""
        parts = path.replace("\\", "/").split("/")
        tails = ["/".join(parts[i:]) for i in range(len(parts))]
        for n, p in enumerate(self._paths):
            if any(p.match(rel) and not self.excluded(rel) for rel in tails):
                return n
        return len(self.paths)

    @cached_property
    def _names(self) -> tuple[re.Pattern, ...]:
        return tuple(glob_pattern(p) for p in self.names)

    def named_alone(self, path: str) -> bool:
        """Does a loose file's name alone say it is this format (not a bare extension,
        which needs content that agrees)?"""
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        if self.excluded(name):
            return False
        return any(pattern.match(name) and not (glob.startswith("*.") and not any(c in glob[2:] for c in "*?["))
                   for glob, pattern in zip(self.names, self._names))

    def named(self, path: str, text: str) -> bool:
        """Does a loose file's name say it is this format? A name of its own (multipath.conf,
        ifcfg-eth0) does; a bare extension (*.cfg, *.rules) only with content that agrees
        (audit.rules is not a udev rules file)."""
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        if self.excluded(name):
            return False
        for glob, pattern in zip(self.names, self._names):
            if pattern.match(name):
                weak = glob.startswith("*.") and not any(c in glob[2:] for c in "*?[")
                return not weak or self.recognise is None or self.recognise(text, name)
        return False

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(sorted(r.code for r in self.rules))
