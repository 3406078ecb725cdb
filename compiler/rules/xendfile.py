"""Format-level rules for an existing /etc/xen/xend-config.sxp, read by targets/xend.py.

The reader follows xend's own S-expression parser: it reports what that parser rejects
(xend then does not start) or silently misreads. What the settings mean is checked on the
model like any `xend KEY VALUE` statement, with spans into the file: unknown keys with a
did-you-mean (VX102), yes/no and other value kinds (VX103), dom0-cpus (VX104), script
locations (VX106), ports (VX107), and the relocation rules of the migration area.
"""
from __future__ import annotations

from ..diagnostics import Severity
from .base import Rule, Scope

NOT_CHECKABLE: dict[str, str] = {}


class XendSxpSyntax(Rule):
    """xend-config.sxp is made of balanced S-expressions that xend's parser accepts.

    What it checks: a ')' that closes nothing, a '(' or a quoted string that is never
    closed, a character outside strings that xend's parser refuses (anything but
    printable ASCII), and elements that are not settings: an empty `()` (a warning) or a
    list where the setting's name belongs.

    Why: xend reads its parameters from /etc/xen/xend-config.sxp before it starts (§19,
    line 3026); a parse error there stops xend, and with it every guest operation. The
    guide's own §20.2 example ends with a stray character after the closing parenthesis,
    `(xend-relocation-hosts-allow- '^localhost\\\\.localdomain$' )>` (line 3402,
    contradiction C-30: parsers must reject unbalanced S-expressions).

    Example:
        (xend-relocation-hosts-allow '^peer\\\\.example\\\\.com$'

    Fix: balance the parentheses and quotes: one `(name value)` per setting.
    """

    code, name, severity = "VF501", "xend-sxp-syntax", Severity.ERROR
    checklist, section, lines = ("XEN-01",), "§19", "3026, 3402"
    scope = Scope.READER


class XendSettingWithoutParentheses(Rule):
    """Every setting of xend-config.sxp is in parentheses.

    What it checks: words at the top level of the file, outside any `( )`: a setting
    written without its parentheses, or stray text such as a trailing '>'.

    Why: xend looks its settings up as `(name value)` elements and skips anything else,
    so an unparenthesised line is silently ignored and the default stays in force. §11.1
    tells the reader to change the "typical" line `network-script network-bridge` into
    `network-script network-xen-multi-bridge` (lines 1630, 1633-1634), both without
    parentheses, and §20.2 ends a line with `)>` (line 3402); §10.2 writes the same
    setting correctly, `(network-script /bin/true)` (lines 1535-1537).

    Example:
        network-script network-xen-multi-bridge

    Fix: `(network-script network-xen-multi-bridge)`.
    """

    code, name, severity = "VF502", "xend-setting-without-parentheses", Severity.ERROR
    checklist, section, lines = ("XEN-01", "NET-24"), "§11.1", "1535-1537, 1630, 1633-1634, 3402"
    scope = Scope.READER


class XendSettingWithoutValue(Rule):
    """A setting of xend-config.sxp has a value; an empty one is written ''.

    What it checks: `(name)` with nothing after the name.

    Why: xend takes the first value of a setting; with none it uses its default, so the
    line does nothing, and it also hides any later line of the same name (xend reads only
    the first). §20.2 prints `(xend-relocation-address )` and `(xend-relocation-hosts-allow
    )` (lines 3398, 3400) where §20 writes the empty string `''` (lines 3105, 3109); the
    guide wants a single IP address and a list of patterns there (lines 3107, 3113).

    Example:
        (xend-relocation-address )

    Fix: `(xend-relocation-address '10.0.0.1')`, or `''` for the default.
    """

    code, name, severity = "VF503", "xend-setting-without-value", Severity.WARNING
    checklist, section, lines = ("MIG-17", "MIG-18"), "§20.2", "3105-3113, 3398-3400"
    scope = Scope.READER


class XendSeveralValues(Rule):
    """A setting of xend-config.sxp has one value; a script with arguments is one quoted string.

    What it checks: `(name value1 value2 ...)`.

    Why: xend reads only the first value of a setting, so `(network-script network-bridge
    bridge=xenbr0 netdev=dummy0)` runs network-bridge without its arguments. The guide
    binds xenbr0 to dummy0 with the arguments in one quoted string, `(network-script
    'network-bridge bridge=xenbr0 netdev=dummy0')` (§11.2, line 1706).

    Example:
        (network-script network-bridge bridge=xenbr0 netdev=dummy0)

    Fix: `(network-script 'network-bridge bridge=xenbr0 netdev=dummy0')`.
    """

    code, name, severity = "VF504", "xend-several-values", Severity.ERROR
    checklist, section, lines = ("XEN-08", "NET-26"), "§11.2", "1706"
    scope = Scope.READER


class XendDuplicateSetting(Rule):
    """Each xend-config.sxp setting appears once: xend reads only the first.

    What it checks: a second `(name ...)` of a name already set (an error when its value
    differs from the first, a warning when it repeats it).

    Why: the guide's procedures change settings in place: "change the following line
    (network-script network-bridge) to (network-script /bin/true)" (§10.2, lines
    1533-1537), "modify the following entries ... or remove the comment sign in front of
    them" (§20, line 3097). Appending a line instead leaves the old one first, and xend
    keeps using it: the bridges stay under Xen's script, or migration stays off.

    Example:
        (network-script network-bridge)
        (network-script /bin/true)

    Fix: edit the existing line (or comment it out with #) instead of adding another.
    """

    code, name, severity = "VF505", "xend-duplicate-setting", Severity.ERROR
    checklist, section, lines = ("NET-10", "MIG-15"), "§10.2", "1533-1537, 3097"
    scope = Scope.READER


class XendStringEscape(Rule):
    """A backslash in an xend-config.sxp string is doubled.

    What it checks: a backslash inside a quoted value followed by a character that is not
    one of xend's escapes (\\\\, \\', \\", \\n, \\t, ... octal, \\x hex).

    Why: xend's parser keeps such a backslash and drops the character after it: '\\.'
    becomes a lone backslash, so `'^peer\\.example\\.com$'` is read as
    `^peer\\example\\com$` and the peer is refused. The guide writes a regex dot as two
    backslashes and a dot, `(xend-relocation-hosts-allow '^localhost$
    ^localhost\\\\.localdomain$')` (§20, lines 3113-3115).

    Example:
        (xend-relocation-hosts-allow '^peer\\.example\\.com$')

    Fix: `(xend-relocation-hosts-allow '^peer\\\\.example\\\\.com$')`.
    """

    code, name, severity = "VF506", "xend-string-escape", Severity.WARNING
    checklist, section, lines = ("MIG-18",), "§20", "3113-3115"
    scope = Scope.READER
