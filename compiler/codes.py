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
