"""Local file contexts, /etc/selinux/POLICY/contexts/files/file_contexts.local (which
`semanage fcontext -a` appends to): `REGEX [FILE-TYPE] CONTEXT` lines.

A context with an image type becomes an image directory, as the language's `images "DIR"
label TYPE` makes it: `/virtstorage(/.*)? system_u:object_r:xen_image_t:s0` is
ImageDir("/virtstorage", "xen_image_t"). Any other pattern is kept as the regex it is
(`/dev/vg_xen/.*  -b  ...`), and the rules match paths against it the way matchpathcon
does. Contexts of other types (a web server's directory, say) are not image
directories and are named as not modelled.
"""
from __future__ import annotations

import re

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import ImageDir
from virtc.readback import Found
from virtc.regexes import regex_error
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile
from virtc.suggest import close_match

from ..lines import Unmodelled, line_span, logical_lines, report, words
from .common import (
    CLOSE_TYPE,
    CONTEXT,
    FILE_TYPES,
    REGEX_CHARS,
    TREE,
    image_types,
    is_image_type,
)


def read(text: str, path: str) -> Found:
    """file_contexts.local: `REGEX [FILE-TYPE] CONTEXT` per line."""
    found = Found(SourceFile(path, text), "fcontext")
    src = found.source
    skipped = Unmodelled()
    dirs, entries = [], []
    for offset, line in logical_lines(text, continuation=False):
        ws = words(line, offset)
        if ws[0][0].startswith("#"):
            continue
        span = line_span(found, offset, line)
        if ws[0][0] in ("semanage", "/usr/sbin/semanage", "restorecon", "/sbin/restorecon", "chcon"):
            report(found, FcontextSyntax, f"'{ws[0][0]}' is a command; file_contexts.local holds its result, "
                                   "REGEX [TYPE] CONTEXT", span, hint="run the command instead of writing it here")
            continue
        if len(ws) not in (len(("REGEX", "CONTEXT")), len(("REGEX", "TYPE", "CONTEXT"))):
            report(found, FcontextSyntax, "a file context line is REGEX [FILE-TYPE] CONTEXT", span,
                   hint="/virtstorage(/.*)?    system_u:object_r:xen_image_t:s0")
            continue
        regex, rstart, rend = ws[0]
        ftype = ws[1] if len(ws) == len(("REGEX", "TYPE", "CONTEXT")) else None
        context, cstart, cend = ws[-1]
        if ftype is not None and ftype[0] not in FILE_TYPES:
            report(found, FcontextSyntax, f"'{ftype[0]}' is not a file type", src.span(ftype[1], ftype[2]),
                   hint=f"one of {' '.join(FILE_TYPES)}")
            continue
        if context == "<<none>>":
            skipped.add("a file context that removes labels (<<none>>)", span)
            continue
        m = CONTEXT.match(context)
        if not m:
            report(found, FcontextSyntax, f"'{context}' is not an SELinux context (user:role:type:level)",
                   src.span(cstart, cend), hint="system_u:object_r:xen_image_t:s0")
            continue
        item = _context(found, regex, src.span(rstart, rend), m.group("type"), src.span(cstart, cend),
                        ftype[0] if ftype else None, span, skipped)
        if item is not None:
            dirs.append(item)
            entries.append(Entry(item.path, item.label, span, src.span(rstart, rend), src.span(cstart, cend)))
    skipped.flush(found)
    found.document = Document("fcontext", path, tuple(entries))
    if dirs:
        found.add("image_dirs", *dirs)
    return found


def _context(found: Found, regex: str, regex_span, label: str, label_span, ftype: str | None, span,
             skipped: Unmodelled) -> ImageDir | None:
    """The image directory a context names, or None (with the reason reported)."""
    if not regex.startswith("/"):
        report(found, FcontextSyntax, f"'{regex}' does not start with '/': file contexts match absolute paths",
               regex_span, hint=f"/{regex.lstrip('^')}",
               fix=fixes.replace("start the pattern with '/'", regex_span, f"/{regex.lstrip('^')}", safe=False)
               if found.source.text[regex_span.start:regex_span.end] == regex else None)
        return None
    if not is_image_type(label):
        close = close_match(label, tuple(image_types()), CLOSE_TYPE)
        if close:
            report(found, FcontextImageType, f"'{label}' is not an SELinux type the policy has for images", label_span,
                   hint=f"did you mean '{close}'?",
                   fix=_word_fix(found.source, label_span, label, close))
        else:
            skipped.add(f"a file context of type {label} (not an image type)", span)
        return None
    why = regex_error(regex)
    if why:
        report(found, FcontextSyntax, f"'{regex}' is not a regular expression: {why}", regex_span,
               hint="/virtstorage(/.*)?")
        return None
    tree = regex.endswith(TREE)
    plain = regex[: -len(TREE)] if tree else regex
    plain = re.sub(r"\\(.)", r"\1", plain).rstrip("/") or "/"
    if REGEX_CHARS & set(plain):  # a pattern (/dev/vg_xen/.*, /srv/images/[^/]*\.img): matched as one
        return ImageDir(stem(regex), label, span, pattern=regex, ftype=ftype)
    last = plain.rsplit("/", 1)[-1]
    if not tree and ftype is None and not plain.startswith("/dev/") and "." not in last:
        report(found, FcontextDirectoryOnly, f"'{regex}' labels the directory {plain} itself but not the images in it",
               regex_span, hint=f"{plain}(/.*)? labels the directory and everything in it",
               fix=_tree_fix(found.source, regex_span, regex))
    return ImageDir(plain, label, span, pattern=None if tree else regex, ftype=ftype)


def stem(regex: str) -> str:
    """The fixed start of a file context pattern, up to its first regex character: the
    directory it is about (/dev/vg_xen for /dev/vg_xen/.*)."""
    out = []
    i = 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\" and i + 1 < len(regex):
            out.append(regex[i + 1])
            i += 2
            continue
        if ch in REGEX_CHARS or ch == ".":
            break
        out.append(ch)
        i += 1
    text = "".join(out)
    if i < len(regex) and not text.endswith("/") and not regex.startswith("(/", i):
        text = text.rsplit("/", 1)[0]  # the pattern goes on inside a name (/virt.*): its folder
    return text.rstrip("/") or "/"


def _word_fix(src, span, old: str, new: str):
    """Replace the one occurrence of `old` in the span (a type inside its context)."""
    text = src.text[span.start:span.end]
    if text.count(old) != 1:
        return None
    at = span.start + text.index(old)
    return fixes.Fix(f"write {new}", src.path, (fixes.Edit(at, at + len(old), new),), fixes.Applicability.UNSAFE)


def _tree_fix(src, span, regex: str):
    """`/srv/vm` becomes `/srv/vm(/.*)?` where the pattern is written as read (quoted or not)."""
    text = src.text[span.start:span.end]
    at = span.end - (1 if text[:1] in "'\"" and text[-1:] == text[:1] else 0)
    if text.strip("'\"").rstrip("/") != regex.rstrip("/") or regex.endswith("/"):
        return None
    return fixes.Fix("add (/.*)?", src.path, (fixes.Edit(at, at, "(/.*)?"),), fixes.Applicability.UNSAFE)


# ---------------------------------------------------------------- format-level rules

class FcontextSyntax(Rule):
    """SELinux file contexts are REGEX [FILE-TYPE] user:role:type:level; semanage gets -t and one pattern.

    What it checks: in file_contexts.local, a line that is not 2 or 3 fields, a file type
    other than -- -d -b -c -l -p -s, a context not of the form user:role:type[:level], a
    pattern that does not start with '/', a command written into the file; in a script,
    `semanage fcontext -a` without -t TYPE or without exactly one pattern, and an
    unclosed quote.

    Why: "semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"" appends
    "/virtstorage(/.*)?    system_u:object_r:xen_image_t:s0" to
    /etc/selinux/targeted/contexts/files/file_contexts.local (§18.2, lines 2975-2981);
    block devices take `-f -b` (§18.3, line 2991). restorecon and setfiles stop at an
    invalid line, so the images keep a label the guests cannot use.

    Example:
        /virtstorage(/.*)?    xen_image_t

    Fix: `/virtstorage(/.*)?    system_u:object_r:xen_image_t:s0`.
    """

    code, name, severity = "VF841", "fcontext-syntax", Severity.ERROR
    checklist, section, lines = ("SEC-05", "SEC-06"), "§18.2", "2975-2991"
    scope = Scope.READER
    fix, fix_title = "unsafe", "a pattern that does not start with '/' gets one in front"


class FcontextImageType(Rule):
    """An image directory's file context names an image type that exists.

    What it checks: a context type a letter or two away from xen_image_t, virt_image_t or
    tgtd_var_lib_t (a misspelling; other types are not image directories and are only
    named as not modelled).

    Why: images need "the virt_image_t label" (§18.2, line 2960), xen_image_t for a Xen
    folder (lines 2975, 2981); semanage refuses an unknown type, and a hand-edited
    file_contexts.local with one breaks restorecon.

    Example:
        /virtstorage(/.*)?    system_u:object_r:xen_img_t:s0

    Fix: `system_u:object_r:xen_image_t:s0`.
    """

    code, name, severity = "VF842", "fcontext-image-type", Severity.WARNING
    checklist, section, lines = ("SEC-05",), "§18.2", "2960, 2975-2981"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'replace the type with the image type it is closest to'


class FcontextDirectoryOnly(Rule):
    """An image directory's context covers what is inside it: DIR(/.*)?.

    What it checks: an image-type context whose pattern is a bare directory (no file
    type, not under /dev, no '.' in its last part), which labels the directory alone.

    Why: the guide labels "/virtstorage(/.*)?" (§18.2, lines 2975-2981), the directory
    and everything in it; images created in a directory labelled without it inherit
    default_t, and "SELinux prevents guest images from loading" (line 2960).

    Example:
        semanage fcontext -a -t xen_image_t /virtstorage

    Fix: `semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"`.
    """

    code, name, severity = "VF843", "fcontext-directory-only", Severity.WARNING
    checklist, section, lines = ("SEC-05",), "§18.2", "2960, 2975-2981"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'add (/.*)? so that the pattern labels what is in the directory too'

RULES = rules_in(globals())
