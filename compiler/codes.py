"""What each diagnostic code is: its name, one-line summary and documentation, for reports
that describe the codes they use (SARIF's rule metadata).

Rules carry this themselves (the registry, `virtc explain`). The language's own codes
(VP syntax, VR names and values, VT output paths) are not rules; they are described once,
in the table of grammar/README.md, and read from there so the two cannot drift apart."""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .diagnostics import Severity

# Language codes the grammar's table does not list (suppressions and configuration are
# described in the top-level README instead).
_NOT_IN_GRAMMAR_TABLE = {
    "VR030": "a suppression that suppresses nothing",
    "VR031": "a suppression without a reason",
    "VR032": "a malformed suppression, or one that names no known rule",
    "VR040": "an invalid configuration file (unknown key or rule, bad value, not TOML)",
}

_ROW = re.compile(r"^\|\s*(V[A-Z]\d{3})\s*\|\s*(.+?)\s*\|\s*$")


@dataclass(frozen=True)
class CodeInfo:
    code: str
    name: str  # a rule's kebab-case name; "" for the language's codes, which have none
    summary: str  # one sentence
    text: str  # the whole documentation, plain text
    severity: Severity | None  # a rule's default; None for the language's codes
    reference: str = ""  # where in the guide the rule comes from


@lru_cache(maxsize=1)
def language_codes() -> dict[str, str]:
    """code -> meaning, from the "Diagnostic codes of the language" table."""
    text = resources.files("virtc.grammar").joinpath("README.md").read_text(encoding="utf-8")
    table = text.split("## Diagnostic codes of the language", 1)[-1]
    out = {}
    for line in table.splitlines():
        m = _ROW.match(line)
        if m:
            out[m.group(1)] = m.group(2).replace("`", "")
    return {**_NOT_IN_GRAMMAR_TABLE, **out}


def _first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n", 1)[0].split())


@lru_cache(maxsize=None)
def describe(code: str) -> CodeInfo:
    from .ruleset import by_code

    rule = by_code().get(code)
    if rule is not None:
        # The docstring itself, not Rule.doc(): a summary may wrap onto a second line,
        # and the blank line that ends it is what marks where it ends.
        whole = inspect.cleandoc(rule.__doc__ or "") or f"{rule.name}."
        return CodeInfo(code, rule.name, _first_paragraph(whole), whole, rule.severity, rule.reference())
    meaning = language_codes().get(code)
    if meaning is not None:
        summary = meaning[0].upper() + meaning[1:]
        summary += "" if summary.endswith(".") else "."
        return CodeInfo(code, "", summary, f"{summary}\n\nA diagnostic of the virtc language itself; "
                                           "grammar/README.md describes the language.", None)
    return CodeInfo(code, "", f"virtc diagnostic {code}.", f"virtc diagnostic {code}.", None)
