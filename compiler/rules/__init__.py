"""The rule registry: every code virtc emits, in code order, from the rules it runs to the
language's own codes (language.py). Explicit on purpose: a rule exists when it is listed
here."""
from __future__ import annotations

from functools import lru_cache

from .base import Context, Rule, Scope  # noqa: F401
from . import convertfile, language, lintfile, xmlfile
from . import hostconffile, xendfile
from . import (boot, capacity, guest_os, host, luns, management, migration, network, passthrough,
               security, storage, timekeeping, xend, xmfile, grubfile, ifcfgfile, lunfiles, elilofile)

# One module per checklist area; a rule exists when its module is listed here.
MODULES = (language, lintfile, convertfile, storage, passthrough, network, capacity, guest_os, timekeeping, migration, luns,
           security, host, management, boot, xend, xmfile, grubfile, ifcfgfile, lunfiles, elilofile,
           xmlfile, xendfile, hostconffile)


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    rules = [obj for m in MODULES for obj in vars(m).values()
             if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.code]
    return tuple(sorted(rules, key=lambda r: r.code))


def not_checkable() -> dict[str, str]:
    """Checklist items no rule implements, with the reason, from every area module."""
    out: dict[str, str] = {}
    for m in MODULES:
        out.update(getattr(m, "NOT_CHECKABLE", {}))
    return out


@lru_cache(maxsize=1)
def by_code() -> dict[str, type[Rule]]:
    return {r.code: r for r in all_rules()}


@lru_cache(maxsize=1)
def configurable() -> dict[str, type[Rule]]:
    """code -> rule, for the rules a configuration can set and a suppression can silence:
    all but the language's own codes (Scope.LANGUAGE)."""
    return {r.code: r for r in all_rules() if r.scope is not Scope.LANGUAGE}


class _Resolver:
    """name or code -> code, among the rules `pool()` gives."""

    def __init__(self, pool):
        self._pool = pool

    def __call__(self, text: str) -> str | None:
        text = text.strip()
        codes = self._pool()
        if text.upper() in codes:
            return text.upper()
        for r in codes.values():
            if r.name == text:
                return r.code
        return None

    def known(self) -> list[str]:
        rules = list(self._pool().values())
        return [r.code for r in rules] + [r.name for r in rules]


# What suppressions and the configuration may name.
resolve_code = _Resolver(configurable)
# Any code virtc emits, by code or name (`virtc explain`).
find_code = _Resolver(by_code)
