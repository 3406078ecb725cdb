"""Build: model -> artifacts of every target -> an output folder, all or nothing.

The tree is written to a temporary folder next to the destination and renamed into
place, so a reader never sees half a build and a failed build leaves the old output
untouched. A folder is only replaced if virtc wrote it (it holds MANIFEST_NAME) or it
is empty: a mistyped `-o` never deletes someone's files.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import tempfile

from virtc.targets import Artifact, registry

from . import progress
from .diagnostics import Diagnostic, error
from .model import Model
from .owner import Owner

MANIFEST_NAME = ".virtc-manifest"


class BuildError(Exception):
    """The output folder cannot be written (not a problem in the user's .virt files)."""


def artifacts(model: Model, targets: list[str] | None = None) -> tuple[list[Artifact], list[Diagnostic]]:
    """All artifacts, sorted by path; diagnostics for unsafe or clashing paths."""
    diags: list[Diagnostic] = []
    out: dict[str, Artifact] = {}
    # an artifact names the host or guest it comes from; its diagnostics point there
    where = {x.owner: x.span for x in (*model.hosts, *model.guests)}
    reg = registry()
    for name in targets or list(reg):
        for art in reg[name].emit(model):
            progress.advance()
            problem = unsafe_path(art.path)
            if problem:
                diags.append(error("VT001", f"refusing to write '{art.path}': {problem}", _span(where, art.source),
                                   owner=art.source))
                continue
            if art.path in out:
                diags.append(error("VT002", f"two outputs want the same file '{art.path}'", _span(where, art.source),
                                   owner=art.source))
                continue
            out[art.path] = art
    for p in out:  # a file where another output needs a folder (/etc/xen/auto vs auto/NAME)
        parent = p.rsplit("/", 1)[0]
        while "/" in parent:
            if parent in out:
                diags.append(error("VT002", f"'{parent}' is both a file and the folder of '{p}'", _span(where, out[parent].source),
                                   owner=out[parent].source))
                break
            parent = parent.rsplit("/", 1)[0]
    return [out[p] for p in sorted(out)], diags


def _span(where: dict, owner: Owner | None):
    """Where the host or guest an artifact comes from is declared (a bridge's file: its host)."""
    if owner is None:
        return None
    return where.get(owner) or where.get(Owner(owner.host, owner.guest)) or where.get(Owner(owner.host))


def unsafe_path(path: str) -> str | None:
    """Relative, normalised, no '..', no empty or hidden-dot components."""
    if path.startswith("/") or "\\" in path or "\0" in path:
        return "not a relative path"
    if not path.isascii() or not path.isprintable():
        return "it contains a control or non-ASCII character"
    if posixpath.normpath(path) != path:
        return "not in normal form"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "it would leave the output folder"
    return None


def manifest(arts: list[Artifact]) -> str:
    lines = []
    for a in arts:
        if a.link is not None:
            lines.append(f"link {a.path} -> {a.link}")
        else:
            lines.append(f"{hashlib.sha256(a.text.encode()).hexdigest()}  {a.path}")
    return "\n".join(lines) + "\n"


def write_tree(arts: list[Artifact], dest: str) -> None:
    """Write all artifacts to dest atomically (replacing a previous virtc build)."""
    dest = os.path.abspath(dest)
    parent = os.path.dirname(dest)
    if os.path.exists(dest):
        if not os.path.isdir(dest):
            raise BuildError(f"{dest} exists and is not a folder")
        entries = os.listdir(dest)
        if entries and MANIFEST_NAME not in entries:
            raise BuildError(f"{dest} is not empty and was not written by virtc; "
                             "choose another folder or empty it")
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".virtc-build-", dir=parent)
    except OSError as exc:
        raise BuildError(f"cannot create a folder in {parent}: {exc.strerror}") from exc
    progress.phase("writing", len(arts))
    try:
        for a in arts:
            progress.advance()
            full = os.path.join(tmp, *a.path.split("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if a.link is not None:
                os.symlink(a.link, full)
            else:
                with open(full, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(a.text)
        with open(os.path.join(tmp, MANIFEST_NAME), "w", encoding="utf-8") as fh:
            fh.write(manifest(arts))
        old = None
        if os.path.exists(dest):
            old = tempfile.mkdtemp(prefix=".virtc-old-", dir=parent)
            os.rmdir(old)
            os.rename(dest, old)
        os.rename(tmp, dest)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildError(f"cannot write {dest}: {exc.strerror or exc}") from exc
