"""Run the rules on a model, then apply the configuration and the suppressions."""
from __future__ import annotations

from dataclasses import replace

from .config import Config
from .diagnostics import Diagnostic
from .model import Model
from .rules import Context, all_rules, resolve_code
from .source import SourceFile
from .suppress import apply, collect


def _restricted(model: Model, keep) -> Model:
    hosts = tuple(h for h in model.hosts if keep(h))
    names = {h.name for h in hosts}
    return replace(model, hosts=hosts, guests=tuple(g for g in model.guests if g.host in names))


def run_rules(model: Model, config: Config | None = None, documents=(),
              missing: dict[str, set[str]] | None = None) -> list[Diagnostic]:
    """Every enabled rule's diagnostics; a configured severity replaces the rule's own.
    `documents` are existing files as read (lint); format-level rules check them.
    `missing` names, per host, the facts no file of that host states (lint): a rule that
    needs one of them does not see that host or its guests, and still sees every other host."""
    config = config or Config()
    missing = missing or {}
    contexts: dict[tuple[bool, frozenset], Context] = {}

    def context(rule_cls) -> Context:
        # Hyper-V hosts carry RHEL 5 guests only for their kernel arguments (guide §4); the
        # Xen and KVM rules do not see them.
        key = (rule_cls.hyperv, frozenset(rule_cls.facts))
        if key not in contexts:
            needs = key[1]
            contexts[key] = Context(_restricted(model, lambda h: (key[0] or h.hypervisor != "hyperv")
                                                and not (needs & missing.get(h.name, set()))),
                                    documents=documents)
        return contexts[key]

    out: list[Diagnostic] = []
    for rule_cls in all_rules():
        if rule_cls.code in config.severities and config.severities[rule_cls.code] is None:
            continue
        override = config.severities.get(rule_cls.code)
        for d in rule_cls().run(context(rule_cls)):
            out.append(replace(d, severity=override) if override is not None else d)
    return _merge_stamped(out)


def _merge_stamped(diags: list[Diagnostic]) -> list[Diagnostic]:
    """A template or range statement is checked once per guest it stamps out; report it
    once, naming the other guests, instead of once per guest."""
    groups: dict[tuple, list[Diagnostic]] = {}
    for d in diags:
        key = (d.code, d.span) if d.span is not None else (d.code, id(d))
        groups.setdefault(key, []).append(d)
    out = []
    for group in groups.values():
        if len({d.owner for d in group}) != len(group):
            out.extend(group)  # several problems of one element: keep them all
            continue
        first = group[0]
        others = sorted({d.owner.guest for d in group[1:]
                         if d.owner is not None and d.owner.guest and d.owner != first.owner})
        if others:
            shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
            first = replace(first, message=f"{first.message}; also in {shown}")
        out.append(first)
    return out


def check_model(model: Model, syntax: dict, sources: dict[str, SourceFile],
                config: Config | None = None) -> list[Diagnostic]:
    """Rule diagnostics after suppressions, plus problems with the suppressions themselves."""
    config = config or Config()
    diags = run_rules(model, config)
    sups, meta = {}, []
    for path, tree in syntax.items():
        found, problems = collect(tree, sources[path], resolve_code)
        meta.extend(problems)
        if config.inline_ignores:
            sups[path] = found
    active = {r.code for r in all_rules() if config.severity(r.code, r.severity) is not None}
    kept, unused = apply(diags, sups, active)
    return kept + meta + unused
