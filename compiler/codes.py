"""What each diagnostic code is: its name, one-line summary and documentation, for reports
that describe the codes they use (SARIF's rule metadata), and the table of the language's
codes in grammar/README.md.

Every code virtc emits is a class of the rule registry, the language's own codes (VP, VR,
VT) included (rules/language.py); this module only reads them. `python -m virtc.codes`
prints the README's section, and a test keeps the two equal.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache

from .diagnostics import Severity

README_HEADING = "## Diagnostic codes of the language"

# What each code's prefix is about, as README.md's table of rules says (a test keeps them
# equal); the rule reference (`virtc docs`) heads its index with them.
AREAS = {
    "VP": "syntax", "VR": "names, references, values", "VT": "output paths", "VS": "storage",
    "VD": "PCI passthrough, SR-IOV", "VN": "network", "VC": "vCPUs", "VM": "memory",
    "VG": "guest OS and drivers", "VK": "timekeeping", "VL": "migration",
    "VU": "LUN persistence, multipath, iSCSI", "VE": "SELinux and host security",
    "VH": "host platform, names", "VA": "remote management", "VB": "boot (GRUB, ELILO)",
    "VX": "xend and xm settings",
    "VF": "existing files (xm, grub.conf, ifcfg, udev, multipath.conf, elilo.conf)",
}


@dataclass(frozen=True)
class CodeInfo:
    code: str
    name: str  # the kebab-case name; "" for a code no class declares
    summary: str  # one sentence
    text: str  # the whole documentation, plain text
    severity: Severity | None  # the default; None for a code no class declares
    reference: str = ""  # where in the guide the rule comes from; "" for virtc's own checks


def _first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n", 1)[0].split())


def source(rule) -> str:
    """The guide's section and lines a rule comes from; "" for virtc's own checks (section
    "virtc"), which no item of the guide asks for."""
    return "" if rule.section == "virtc" else rule.reference()


@lru_cache(maxsize=None)
def describe(code: str) -> CodeInfo:
    from .ruleset import by_code

    rule = by_code().get(code)
    if rule is not None:
        # The docstring itself, not Rule.doc(): a summary may wrap onto a second line,
        # and the blank line that ends it is what marks where it ends.
        whole = inspect.cleandoc(rule.__doc__ or "") or f"{rule.name}."
        return CodeInfo(code, rule.name, _first_paragraph(whole), whole, rule.severity, source(rule))
    return CodeInfo(code, "", f"virtc diagnostic {code}.", f"virtc diagnostic {code}.", None)


def fix_kind(rule) -> str | None:
    """Whether a rule declares an automatic fix: "safe", "unsafe", "yes" (declared, safety
    not stated) or None. Read from the `fix` attribute of the rule's class where a class
    below the base Rule sets one (the base's own default is no fix)."""
    from .rules.base import Rule

    cls = rule if isinstance(rule, type) else type(rule)
    owner = next((c for c in cls.__mro__ if "fix" in vars(c)), None)
    if owner is None or owner is Rule or (owner in Rule.__mro__):
        return None
    fix = getattr(cls, "fix", None)
    if fix is None or fix is False:
        return None
    if isinstance(fix, str):
        return fix
    safe = getattr(fix, "safe", None)
    if isinstance(safe, bool):
        return "safe" if safe else "unsafe"
    return "yes"


def page_name(code: str) -> str:
    """The file of a code's page in the rule reference (`virtc docs`)."""
    return f"{code}.html"


def help_url(base: str | None, code: str) -> str | None:
    """The address of a code's page under the reference's base URL (`docs-url` in
    virtc.toml); None without one."""
    if not base:
        return None
    return f"{base.rstrip('/')}/{page_name(code)}"


def language_section() -> str:
    """grammar/README.md's section on the language's codes, from their classes."""
    from .rules.base import Scope
    from .ruleset import all_rules

    out = [README_HEADING, "",
           "Generated from compiler/rules/language.py by `python -m virtc.codes`; `virtc explain",
           "CODE` prints each one's documentation. These codes say that the input itself is",
           "wrong: a configuration cannot turn them off and a suppression cannot silence them.",
           "A file with an error among them is not checked by the rules and not built.", "",
           "| code | name | severity | meaning |", "|---|---|---|---|"]
    for rule in all_rules():
        if rule.scope is Scope.LANGUAGE:
            out.append(f"| {rule.code} | {rule.name} | {rule.severity} | {describe(rule.code).summary} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(language_section(), end="")
