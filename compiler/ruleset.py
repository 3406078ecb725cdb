"""The rule registry: every code virtc emits, in code order, from the rules it runs to the
language's own codes (rules/language.py). Explicit on purpose: a rule exists when its
area module is listed here, or its format is in the format registry (virtc.targets),
which holds each format's own rules."""
from __future__ import annotations

from functools import lru_cache

from .rules import (boot, capacity, convertfile, filecontexts, guest_os, host, imageformats, language, lintfile,
                    luns, management, migration, network, passthrough, security, storage, timekeeping, xend)
from .rules.base import Rule, rules_in

# One module per checklist area; a rule exists when its module is listed here. A large area
# is a package: listed itself (its NOT_CHECKABLE) and each of its modules (the rules).
AREAS = (language, lintfile, convertfile, storage, imageformats, passthrough,
         network, network.common, network.macs, network.networks, network.bridges, network.laptop, network.vifs,
         network.rates, network.firewall,
         capacity, capacity.common, capacity.cpus, capacity.numa, capacity.memory,
         guest_os, guest_os.common, guest_os.virtualization, guest_os.windows, guest_os.install, guest_os.hypervisors,
         guest_os.pv_drivers, guest_os.virtio, guest_os.services,
         timekeeping,
         migration, migration.common, migration.agreement, migration.resources, migration.relocation, migration.access,
         luns, security, filecontexts, host, management, boot, xend)


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    from virtc import targets  # here: the formats are loaded by what needs their rules

    rules = list(area_rules()) + list(targets.rules())
    return tuple(sorted(set(rules), key=lambda r: r.code))


@lru_cache(maxsize=1)
def area_rules() -> tuple[type[Rule], ...]:
    """The rules of the checklist areas and the language's own codes, without the formats'
    rules: those check the files lint reads (documents), never the model alone, so a check
    of .virt files runs these only (tests/test_startup.py holds the formats' rules to that)."""
    return tuple(sorted({r for m in AREAS for r in rules_in(vars(m))}, key=lambda r: r.code))


def not_checkable() -> dict[str, str]:
    """Checklist items no rule implements, with the reason, from every area module."""
    out: dict[str, str] = {}
    for m in AREAS:
        out.update(getattr(m, "NOT_CHECKABLE", {}))
    return out


def readings() -> dict[str, str]:
    """Implemented checklist items where the checklist contradicts itself or the guide, with
    the reading the rules follow, from every area module (READINGS; the rules' docs say
    more)."""
    out: dict[str, str] = {}
    for m in AREAS:
        out.update(getattr(m, "READINGS", {}))
    return out


@lru_cache(maxsize=1)
def by_code() -> dict[str, type[Rule]]:
    return {r.code: r for r in all_rules()}


class _Resolver:
    """name or code -> code (used by suppressions and configuration)."""

    def __call__(self, text: str) -> str | None:
        text = text.strip()
        codes = by_code()
        if text.upper() in codes:
            return text.upper()
        for r in all_rules():
            if r.name == text:
                return r.code
        return None

    def known(self) -> list[str]:
        return [r.code for r in all_rules()] + [r.name for r in all_rules()]


# What suppressions, the configuration and `virtc explain` name: every code, by code or name.
resolve_code = find_code = _Resolver()
