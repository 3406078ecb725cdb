"""Run the rules on a model, then apply the configuration and the suppressions."""
from __future__ import annotations

from dataclasses import replace

from .config import Config
from .diagnostics import Diagnostic
from .model import Model
from .rules import Context, all_rules, resolve_code
from .source import SourceFile
from .suppress import apply, collect


def run_rules(model: Model, config: Config | None = None, documents=()) -> list[Diagnostic]:
    """Every enabled rule's diagnostics; a configured severity replaces the rule's own.
    `documents` are existing files as read (lint); format-level rules check them."""
    config = config or Config()
    full = Context(model, documents=documents)
    # Hyper-V hosts carry RHEL 5 guests only for their kernel arguments (guide §4); the
    # Xen and KVM rules do not see them.
    xen_kvm = Context(replace(model, hosts=tuple(h for h in model.hosts if h.hypervisor != "hyperv"),
                              guests=tuple(g for g in model.guests if g.type != "hyperv")),
                     documents=documents)
    out: list[Diagnostic] = []
    for rule_cls in all_rules():
        ctx = full if rule_cls.hyperv else xen_kvm
        if rule_cls.code in config.severities and config.severities[rule_cls.code] is None:
            continue
        override = config.severities.get(rule_cls.code)
        for d in rule_cls().run(ctx):
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
        if len({d.path for d in group}) != len(group):
            out.extend(group)  # several problems of one element: keep them all
            continue
        first = group[0]
        others = sorted({g.path.split(" / ")[1].removeprefix("guest ") for g in group[1:]
                         if g.path.count(" / ") >= 1 and g.path != first.path})
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
