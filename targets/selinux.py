"""SELinux settings the guide's procedures make (§18.2, §18.3, §14.1): local file contexts
(/etc/selinux/targeted/contexts/files/file_contexts.local, which `semanage fcontext -a`
appends to), persistent booleans (/etc/selinux/targeted/modules/active/booleans.local,
which `setsebool -P` writes), and those two commands in a setup script. Read only.

A context with an image type becomes an image directory, as the language's `images "DIR"
label TYPE` makes it: `/virtstorage(/.*)? system_u:object_r:xen_image_t:s0` is
ImageDir("/virtstorage", "xen_image_t"). Contexts of other types (a web server's
directory, say) are not image directories and are named as not modelled. A boolean becomes
Setting(NAME, "on"|"off"), as `sebool NAME on|off` does.
"""
from __future__ import annotations

import difflib
import re

from virtc.documents import Document, Entry
from virtc.model import ImageDir, Setting
from virtc.readback import Found
from virtc.source import SourceFile

from .hostread import Unmodelled, line_span, logical_lines, report, words

# matchpathcon file types: -- regular file, -d directory, -b block and -c character
# device, -l link, -p pipe, -s socket.
FILE_TYPES = ("--", "-d", "-b", "-c", "-l", "-p", "-s")
_CONTEXT = re.compile(r"^[A-Za-z0-9_.]+:[A-Za-z0-9_.]+:(?P<type>[A-Za-z0-9_]+)(:[A-Za-z0-9_.,:-]+)?$")
# The suffix that labels a directory and everything in it, as the guide writes it.
_TREE = "(/.*)?"
_REGEX_CHARS = set("*+?[](){}|^$")
# SELinux booleans the guide names (§14.1, §18.3) and RHEL 5's other virtualization
# booleans: a name this close to one of them, but not it, is taken for a misspelling.
BOOLEANS = ("allow_unconfined_qemu_transition", "qemu_full_network", "qemu_use_cifs", "qemu_use_comm",
            "qemu_use_nfs", "qemu_use_usb", "xend_disable_t", "xend_disable_trans", "virt_use_sysfs",
            "virt_use_nfs", "virt_use_samba", "virt_use_comm", "virt_use_usb", "xen_use_nfs")
_CLOSE_BOOLEAN = 0.85
_CLOSE_TYPE = 0.8
_TRUE = ("1", "true", "on")
_FALSE = ("0", "false", "off")


def _image_types() -> tuple[str, ...]:
    """The labels image directories carry: the hypervisors' image types and the iSCSI
    target's LUN files (guide §23.1.1)."""
    from virtc.limits import limits

    lim = limits()
    return tuple(lim["security.image_types"].value.values()) + (lim["security.iscsi_lun_label"].value["type"],)


def _is_image_type(label: str) -> bool:
    return label in _image_types() or label.endswith("_image_t")


# ---------------------------------------------------------------- file contexts


def read_fcontext(text: str, path: str) -> Found:
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
            report(found, "VF841", f"'{ws[0][0]}' is a command; file_contexts.local holds its result, "
                                   "REGEX [TYPE] CONTEXT", span, hint="run the command instead of writing it here")
            continue
        if len(ws) not in (len(("REGEX", "CONTEXT")), len(("REGEX", "TYPE", "CONTEXT"))):
            report(found, "VF841", "a file context line is REGEX [FILE-TYPE] CONTEXT", span,
                   hint="/virtstorage(/.*)?    system_u:object_r:xen_image_t:s0")
            continue
        regex, rstart, rend = ws[0]
        ftype = ws[1] if len(ws) == len(("REGEX", "TYPE", "CONTEXT")) else None
        context, cstart, cend = ws[-1]
        if ftype is not None and ftype[0] not in FILE_TYPES:
            report(found, "VF841", f"'{ftype[0]}' is not a file type", src.span(ftype[1], ftype[2]),
                   hint=f"one of {' '.join(FILE_TYPES)}")
            continue
        if context == "<<none>>":
            skipped.add("a file context that removes labels (<<none>>)", span)
            continue
        m = _CONTEXT.match(context)
        if not m:
            report(found, "VF841", f"'{context}' is not an SELinux context (user:role:type:level)",
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
        report(found, "VF841", f"'{regex}' does not start with '/': file contexts match absolute paths",
               regex_span, hint=f"/{regex.lstrip('^')}")
        return None
    if not _is_image_type(label):
        close = difflib.get_close_matches(label, _image_types(), n=1, cutoff=_CLOSE_TYPE)
        if close:
            report(found, "VF842", f"'{label}' is not an SELinux type the policy has for images", label_span,
                   hint=f"did you mean '{close[0]}'?")
        else:
            skipped.add(f"a file context of type {label} (not an image type)", span)
        return None
    tree = regex.endswith(_TREE)
    plain = regex[: -len(_TREE)] if tree else regex
    plain = re.sub(r"\\(.)", r"\1", plain).rstrip("/") or "/"
    if _REGEX_CHARS & set(plain):
        skipped.add("a file context whose pattern is not a directory or device path", span)
        return None
    last = plain.rsplit("/", 1)[-1]
    if not tree and ftype is None and not plain.startswith("/dev/") and "." not in last:
        report(found, "VF843", f"'{regex}' labels the directory {plain} itself but not the images in it",
               regex_span, hint=f"{plain}(/.*)? labels the directory and everything in it")
    return ImageDir(plain, label, span)


# ---------------------------------------------------------------- booleans


def read_booleans(text: str, path: str) -> Found:
    """booleans.local: NAME=VALUE lines (libselinux reads 0, 1, true and false)."""
    found = Found(SourceFile(path, text), "sebool")
    src = found.source
    settings, entries = [], []
    for offset, line in logical_lines(text, continuation=False):
        body = line.strip()
        if body.startswith("#"):
            continue
        span = line_span(found, offset, line)
        if body.split()[0] in ("setsebool", "/usr/sbin/setsebool"):
            report(found, "VF851", "setsebool is a command; booleans.local holds its result, NAME=1 or NAME=0",
                   span, hint="run `setsebool -P NAME on` instead of writing it here")
            continue
        name, eq, value = body.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            report(found, "VF851", "a boolean line is NAME=1 or NAME=0", span, hint="virt_use_sysfs=1")
            continue
        # libselinux reads digits as a number (any but 0 is on) and true/false as words.
        state = ("on" if value.strip("0") else "off") if value.isdigit() else \
            {"true": "on", "false": "off"}.get(value.lower())
        if state is None:
            report(found, "VF851", f"'{value}' is not a value libselinux reads here (1, 0, true or false)", span,
                   hint=f"{name}={'1' if value.lower() in _TRUE else '0'}")
            continue
        name_span = src.span(span.start, span.start + len(name))
        if not _boolean_name(found, name, name_span):
            continue
        setting = Setting(name, state, span)
        settings.append(setting)
        entries.append(Entry(name, state, span, name_span, span))
    found.document = Document("sebool", path, tuple(entries))
    if settings:
        found.add("sebools", *settings)
    return found


def _boolean_name(found: Found, name: str, span) -> bool:
    if not re.match(r"^[A-Za-z0-9_]+$", name):
        report(found, "VF851", f"'{name}' is not a boolean name", span, hint="names are letters, digits and _")
        return False
    if name not in BOOLEANS:
        close = difflib.get_close_matches(name, BOOLEANS, n=1, cutoff=_CLOSE_BOOLEAN)
        if close:
            report(found, "VF853", f"unknown SELinux boolean '{name}'", span, hint=f"did you mean '{close[0]}'?")
    return True


# ---------------------------------------------------------------- commands in a script


def _shell_words(found: Found, line: str, offset: int) -> list[list[tuple[str, int, int, bool]]]:
    """The simple commands of a shell line (split at ; && || |), each a list of words
    (text after quote removal, start, end, has an unquoted parenthesis). Nothing is run."""
    commands: list[list] = [[]]
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":
            break
        if c in ";&|":
            commands.append([])
            i += 1
            continue
        start, buf, paren = i, [], False
        while i < n and not line[i].isspace() and line[i] not in ";&|":
            c = line[i]
            if c in "'\"":
                close = line.find(c, i + 1)
                if close < 0:
                    report(found, "VF841", "this quote is never closed; the shell stops at this line",
                           found.source.span(offset + i, offset + i + 1), hint=f"close it with {c}")
                    return [w for w in commands if w]
                buf.append(line[i + 1:close])
                i = close + 1
            elif c == "\\" and i + 1 < n:
                buf.append(line[i + 1])
                i += 2
            else:
                paren = paren or c in "()"
                buf.append(c)
                i += 1
        commands[-1].append(("".join(buf), offset + start, offset + i, paren))
    return [w for w in commands if w]


def read_commands(text: str, path: str) -> Found:
    """`semanage fcontext -a -t TYPE [-f FTYPE] 'REGEX'` and `setsebool [-P] NAME VALUE`
    in a shell script (a kickstart %post, a host setup script); its other commands are
    named once as not modelled."""
    found = Found(SourceFile(path, text), "selinux-commands")
    skipped = Unmodelled()
    dirs, settings, entries = [], [], []
    for offset, line in logical_lines(text):
        for ws in _shell_words(found, line, offset):
            prog = ws[0][0].rsplit("/", 1)[-1]
            span = found.source.span(ws[0][1], ws[-1][2])
            if prog == "semanage" and len(ws) > 1 and ws[1][0] == "fcontext":
                item = _semanage(found, ws[2:], span, skipped)
                if item is not None:
                    dirs.append(item)
                    entries.append(Entry(item.path, item.label, span, span, span))
            elif prog == "setsebool":
                for s in _setsebool(found, ws[1:], span):
                    settings.append(s)
                    entries.append(Entry(s.key, s.value, span, span, span))
            else:
                skipped.add("a script command other than semanage fcontext and setsebool", span)
    skipped.flush(found)
    found.document = Document("selinux-commands", path, tuple(entries))
    if dirs:
        found.add("image_dirs", *dirs)
    if settings:
        found.add("sebools", *settings)
    return found


_SEMANAGE_ACTIONS = ("a", "d", "m", "l", "D", "C")  # add, delete, modify, list, delete all, customised
_SEMANAGE_VALUE = ("-t", "--type", "-f", "--ftype", "-s", "--seuser", "-r", "--range", "-e", "--equal")


def _semanage(found: Found, args, span, skipped: Unmodelled) -> ImageDir | None:
    src = found.source
    opts: dict[str, tuple] = {}
    action = None
    files = []
    i = 0
    while i < len(args):
        word = args[i]
        if word[0] in _SEMANAGE_VALUE:
            if i + 1 >= len(args):
                report(found, "VF841", f"semanage {word[0]} needs a value", src.span(word[1], word[2]))
                return None
            opts[word[0].lstrip("-")[0]] = args[i + 1]  # RHEL 5 writes the file type as -f -b
            i += 2
            continue
        if word[0].startswith("-") and len(word[0]) > 1:
            flag = word[0].lstrip("-")[:1]
            if flag in _SEMANAGE_ACTIONS:
                action = action or flag
        else:
            files.append(word)
        i += 1
    if action != "a":
        skipped.add("a semanage fcontext command other than -a (add)", span)
        return None
    if "t" not in opts or len(files) != 1:
        report(found, "VF841", "semanage fcontext -a needs -t TYPE and one path pattern" if "t" not in opts
               else f"semanage fcontext -a takes one path pattern, not {len(files)}", span,
               hint="semanage fcontext -a -t xen_image_t \"/virtstorage(/.*)?\"")
        return None
    regex, start, end, paren = files[0]
    if paren:
        report(found, "VF844", f"the pattern {src.text[start:end]} is not quoted: the shell stops at its "
                               "parentheses (\"syntax error near unexpected token\")", src.span(start, end),
               hint=f"quote it: \"{regex}\"")
        return None
    ftype = opts.get("f")
    label = opts["t"]
    return _context(found, regex, src.span(start, end), label[0], src.span(label[1], label[2]),
                    ftype[0] if ftype else None, span, skipped)


def _setsebool(found: Found, args, span) -> list[Setting]:
    src = found.source
    persistent = any(a[0] == "-P" for a in args)
    rest = [a for a in args if not a[0].startswith("-")]
    pairs = []
    if any("=" in a[0] for a in rest):
        for a in rest:
            name, _, value = a[0].partition("=")
            pairs.append((name, value, src.span(a[1], a[2])))
    elif len(rest) == len(("NAME", "VALUE")):
        pairs.append((rest[0][0], rest[1][0], src.span(rest[0][1], rest[1][2])))
    else:
        report(found, "VF851", "setsebool takes NAME VALUE (or NAME=VALUE ...)", span,
               hint="setsebool -P virt_use_sysfs 1")
        return []
    if not persistent:
        report(found, "VF852", "setsebool without -P changes the boolean until the next reboot only", span,
               hint="setsebool -P ...")
    out = []
    for name, value, pspan in pairs:
        v = value.lower()
        if v not in _TRUE + _FALSE:
            report(found, "VF851", f"'{value}' is not a boolean value", pspan, hint="on or off (1 or 0)")
            continue
        if not _boolean_name(found, name, pspan):
            continue
        out.append(Setting(name, "on" if v in _TRUE else "off", span))
    return out


_MODE = re.compile(r"^\s*SELINUX\s*=\s*(?P<mode>\S*)\s*$", re.M)
MODES = ("enforcing", "permissive", "disabled")


def read_config(text: str, path: str) -> Found:
    """/etc/selinux/config: the mode the host boots in (SELINUX=), as `selinux MODE` says."""
    found = Found(SourceFile(path, text), "selinux-config")
    for m in _MODE.finditer(text):
        mode = m.group("mode").strip("\"'").lower()
        span = found.source.span(m.start("mode"), max(m.end("mode"), m.start("mode") + 1))
        if mode in MODES:
            found.set("selinux", mode, span)
        else:
            report(found, "VF854", f"SELINUX={mode or '(empty)'} is not a mode; the host boots with "
                                   "SELinux enforcing", span, hint="write SELINUX=enforcing, permissive or disabled")
    return found
