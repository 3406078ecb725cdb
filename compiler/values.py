"""What a value may contain before it reaches a generated file.

Every string from a user's file ends up inside some other syntax: a Python string in an
xm file (executed by xend), a comma-separated disk or vif spec, XML, a shell variable in
an ifcfg file, a GRUB command line. Rather than escape for each (libvirt's own xm parser
has no escapes at all), values are restricted to what every consumer can carry
unchanged, and anything else is rejected with a diagnostic naming the offending character.
"""
from __future__ import annotations

import posixpath
import re

# Guest and host names: file names in /etc/xen and directories in the output tree.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")
# Interface names (bridges, NICs, vifnames): Linux IFNAMSIZ is 16 including the NUL.
IFNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,14}\Z")
# Paths: what disk specs (",", ":" separated), XML, Python and shell carry unchanged.
PATH_CHARS = re.compile(r"^[A-Za-z0-9_./:+@%~\-]+\Z")
# Free text on command lines (kernel args): printable ASCII without quotes or backslash.
TEXT_CHARS = re.compile(r"^[\x20-\x7e]*\Z")
TEXT_FORBIDDEN = "\"'\\`$"
# VNC passwords travel inside vfb="type=vnc,vncpasswd=...": no separators either.
PASSWORD_RE = re.compile(r"^[A-Za-z0-9_.@%+\-!#^*]{1,64}\Z")


def check_name(text: str) -> str | None:
    """None when fine, else a reason."""
    if ".." in text:
        return "contains '..'"
    if "/" in text:
        return "contains '/'"
    if not NAME_RE.match(text):
        bad = _first_bad(text, re.compile(r"[A-Za-z0-9_.\-]"))
        if not text:
            return "is empty"
        if bad:
            return f"contains {bad}"
        if len(text) > 64:
            return "is longer than 64 characters"
        return "must start with a letter or digit"
    return None


def check_ifname(text: str) -> str | None:
    if not IFNAME_RE.match(text):
        if len(text) > 15:
            return "is longer than 15 characters (the Linux limit for interface names)"
        bad = _first_bad(text, re.compile(r"[A-Za-z0-9_.\-]"))
        return f"contains {bad}" if bad else "must start with a letter"
    return None


# A CPU flag as /proc/cpuinfo and libvirt's capabilities spell it (3dnow, sse4_1, vmx)
CPU_FLAG_RE = re.compile(r"^[A-Za-z0-9_]{1,40}\Z")


def check_cpu_flag(text: str) -> str | None:
    if CPU_FLAG_RE.match(text):
        return None
    bad = _first_bad(text, re.compile(r"[A-Za-z0-9_]"))
    return f"contains {bad}" if bad else "is not a CPU flag (letters, digits and '_')"


# A host name as the resolver reads it (RFC 1123): labels of letters, digits and '-',
# joined by dots.
HOSTNAME_RE = re.compile(r"^(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
                         r"(\.[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*\Z")


def check_hostname(text: str) -> str | None:
    """A host name that xend (or any resolver) looks up: letters, digits, '-' and dots."""
    if HOSTNAME_RE.match(text):
        return None
    bad = _first_bad(text, re.compile(r"[A-Za-z0-9.\-]"))
    return f"contains {bad}" if bad else "is not a host name (labels of letters, digits and '-', joined by dots)"


def check_path(text: str) -> str | None:
    if not text.startswith("/"):
        return "is not an absolute path"
    if "\n" in text or "\r" in text:
        return "contains a line break"
    if not PATH_CHARS.match(text):
        bad = _first_bad(text, re.compile(r"[A-Za-z0-9_./:+@%~\-]"))
        return f"contains {bad}"
    parts = text.split("/")
    if ".." in parts or "." in parts:
        return "contains a '..' or '.' component"
    # Absolute, without '.' or '..' components: normpath changes it only where it has an
    # empty component, inside ('//') or at the end (a slash). It is the costliest step of
    # the check, which runs on every disk path of every guest.
    if ("//" in text or text.endswith("/")) and posixpath.normpath(text) != text and not (text == "/"):
        return "is not in normal form (double or trailing '/')"
    return None


# root= forms RHEL 5's initrd (nash's mkrootdev) finds besides a device path: the file
# system's label (anaconda writes root=LABEL=/ for plain partitions) or its UUID.
ROOT_LABEL_RE = re.compile(r"^LABEL=[A-Za-z0-9_./:+@%~\-]{1,16}\Z")
ROOT_UUID_RE = re.compile(r"^UUID=[0-9A-Fa-f]+(-[0-9A-Fa-f]+)*\Z")


def check_rootfs(text: str) -> str | None:
    """A kernel's root=: a device path, LABEL=NAME or UUID=HEX."""
    if text.startswith("LABEL="):
        return None if ROOT_LABEL_RE.match(text) else \
            "is not LABEL=NAME (up to 16 letters, digits and _ . / : + @ % ~ -)"
    if text.startswith("UUID="):
        return None if ROOT_UUID_RE.match(text) else "is not UUID=HEX (hex digits and dashes)"
    return check_path(text)


def _check_printable(text: str, forbidden: str) -> str | None:
    if "\n" in text or "\r" in text:
        return "contains a line break"
    if not TEXT_CHARS.match(text):
        bad = _first_bad(text, re.compile(r"[\x20-\x7e]"))
        return f"contains {bad} (only printable ASCII is allowed)"
    for ch in text:
        if ch in forbidden:
            return f"contains {_show(ch)}"
    return None


def check_text(text: str) -> str | None:
    """Command-line text (kernel arguments, descriptions)."""
    return _check_printable(text, TEXT_FORBIDDEN)


def check_pattern(text: str) -> str | None:
    """Regular expressions for xend's hosts-allow: a single-quoted S-expression string."""
    return _check_printable(text, "'\"`")


def check_password(text: str) -> str | None:
    if not PASSWORD_RE.match(text):
        bad = _first_bad(text, re.compile(r"[A-Za-z0-9_.@%+\-!#^*]"))
        return f"contains {bad}" if bad else "must be 1 to 64 characters"
    return None


def _show(ch: str) -> str:
    names = {"\n": "a line break", "\t": "a tab", " ": "a space", '"': "a double quote '\"'",
             "'": "a single quote", "\\": "a backslash", "`": "a backtick", "$": "'$'"}
    return names.get(ch, f"'{ch}'" if ch.isprintable() else f"the character U+{ord(ch):04X}")


def _first_bad(text: str, allowed: re.Pattern) -> str | None:
    for ch in text:
        if not allowed.match(ch):
            return _show(ch)
    return None


def is_number(text: str) -> bool:
    """A plain decimal number small enough to convert: ASCII digits only (str.isdigit()
    also accepts '²' and other digits int() refuses) and at most 18 of them (Python
    refuses to convert strings of thousands of digits)."""
    return text.isascii() and text.isdigit() and len(text) <= 18
