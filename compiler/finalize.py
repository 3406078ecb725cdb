"""The last step of every command that reports: configuration and inline suppressions
applied to every diagnostic, whoever produced it (the parser, the resolver, a reader, a
format rule, a model rule, the schema check), then the list made unique and sorted.

`virtc check`, `build`, `plan`, `lint` and the editor all end here, so `VF821 = "off"` in
virtc.toml and `# virtc: ignore[VF821] reason` in /etc/sysconfig/iptables mean the same
wherever the finding comes from.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .config import Config
from .diagnostics import Diagnostic, Severity
from .rules.base import Scope
from .ruleset import all_rules, by_code
from .suppress import Suppression, apply


def finalize(diags: list[Diagnostic], config: Config | None = None,
             suppressions: dict[str, list[Suppression]] | None = None,
             meta: list[Diagnostic] = (), rules_ran: bool = True) -> list[Diagnostic]:
    """`diags` after `config` (severity overrides, `off`) and `suppressions` (by file);
    `meta` are the problems with the suppressions themselves (malformed, no reason),
    which configuration applies to as well. Unused suppressions are reported (VR030),
    unless the rules did not run (the input did not compile): then nothing says whether
    the suppression would have been used."""
    config = config or Config()
    sups = suppressions if config.inline_ignores else {}
    active = set()
    if sups and any(sups.values()):  # only a suppression asks which codes are on
        active = {r.code for r in all_rules() if config.severity(r.code, r.severity) is not None}
    kept, unused = apply(_configured(diags, config), sups or {}, active)
    if not rules_ran:
        unused = []
    out = kept + _configured([*meta, *unused], config)
    return sorted(_unique(out), key=Diagnostic.sort_key)


def _configured(diags: list[Diagnostic], config: Config) -> list[Diagnostic]:
    out = []
    for d in diags:
        if not config.selection.enabled(d.code) and not (d.severity is Severity.ERROR and _language(d.code)):
            continue  # not selected (the language's own errors still stop the build)
        if d.code in config.severities:
            severity = config.severities[d.code]
            if severity is None:
                continue
            d = replace(d, severity=severity) if severity != d.severity else d
        out.append(d)
    return out


@lru_cache(maxsize=None)
def _language(code: str) -> bool:
    rule = by_code().get(code)
    return rule is not None and rule.scope is Scope.LANGUAGE


def _unique(diags: list[Diagnostic]) -> list[Diagnostic]:
    """One finding once: two readers of one file, or a template checked for each guest it
    stamps, can say the same thing at the same place."""
    seen, out = set(), []
    for d in diags:
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
