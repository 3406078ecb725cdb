"""SELinux file contexts: which context labels a path, the way matchpathcon finds it among
RHEL 5's policy (schemas/selinux-policy.json) and a host's own (file_contexts.local,
`images`). Used by the security rules for every disk of every guest, so compiled once."""
from __future__ import annotations

import re
from functools import lru_cache

from virtc.schemas import load

from ..model import Host, ImageDir
from .. import regexes

_META = set("*+?[](){}|^$.\\")


def _regex(d: ImageDir) -> str:
    return d.pattern or re.escape(d.path.rstrip("/")) + "(/.*)?"


@lru_cache(maxsize=None)
def _compiled(regex: str) -> re.Pattern | None:
    return regexes.compiled(regex)


@lru_cache(maxsize=1)
def _policy() -> tuple[ImageDir, ...]:
    """RHEL 5's policy labels, least specific first (as fc_sort orders file_contexts)."""
    entries = [ImageDir(e["regex"].removesuffix("(/.*)?"), e["type"], None, pattern=e["regex"])
               for e in load("selinux-policy.json")["file_contexts"]]
    return tuple(sorted(entries, key=lambda d: (len(d.path), len(_regex(d)))))


def image_dir_of(h: Host, path: str, ftype: str = "--") -> ImageDir | None:
    """The file context that labels `path` (a regular file unless `ftype` says), the way
    matchpathcon finds it: among the policy's contexts and then the host's own
    (file_contexts.local, `images`), a pattern without regex characters that matches wins;
    otherwise the last that matches."""
    last = None
    for compiled, exact, d in _contexts(h.image_dirs, ftype):
        if not compiled.fullmatch(path):
            continue
        if exact:
            return d  # an exact path
        last = d
    return last


@lru_cache(maxsize=None)
def _contexts(image_dirs: tuple[ImageDir, ...], ftype: str) -> tuple[tuple[re.Pattern, bool, ImageDir], ...]:
    """The contexts image_dir_of tries for one host and file type, in order, compiled once
    (it runs for every disk of every guest; a host's contexts are few and shared)."""
    out = []
    for d in (*_policy(), *image_dirs):
        if d.ftype is not None and d.ftype != ftype:
            continue
        compiled = _compiled(_regex(d))
        if compiled is None:
            continue
        out.append((compiled, d.pattern is not None and not (_META & set(d.pattern.replace("\\.", ""))), d))
    return tuple(out)
