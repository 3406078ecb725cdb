"""Run the rules on a model, and find the suppressions written in the files read
(finalize.py applies them, with the configuration, to every diagnostic)."""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from itertools import chain

from .config import Config
from .diagnostics import Diagnostic
from .forking import shared
from .model import Model
from .rules.base import Context, Rule, Scope
from .ruleset import all_rules, area_rules, resolve_code
from .source import SourceFile
from .suppress import Suppression, collect, collect_in_file


def _restricted(model: Model, keep) -> Model:
    hosts = tuple(h for h in model.hosts if keep(h))
    names = {h.name for h in hosts}
    return replace(model, hosts=hosts, guests=tuple(g for g in model.guests if g.host in names))


def run_rules(model: Model, config: Config | None = None, documents=(),
              missing: dict[str, set[str]] | None = None, memo=None, jobs: int = 1) -> list[Diagnostic]:
    """Every enabled rule's diagnostics.
    `documents` are existing files as read (lint); format-level rules check them.
    `missing` names, per host, the facts no file of that host states (lint): a rule that
    needs one of them does not see that host or its guests, and still sees every other host.
    `memo` (a virtc.rulememo.RuleMemo) reuses last check's findings on unchanged guests and hosts.
    `jobs`: processes to share the rules among, on a fleet big enough to gain from it
    (FORK_MIN_ELEMENTS); the findings are the same whatever the number."""
    config = config or Config()
    # The formats' rules check documents and nothing else: without documents (a check of
    # .virt files) they have nothing to see, and their formats need not even be loaded.
    rules = [rule_cls for rule_cls in (all_rules() if documents else area_rules())
             # off or not selected: not run at all (finalize() applies the other overrides)
             if config.severity(rule_cls.code, rule_cls.severity) is not None]
    runner = _Runner(model, documents, missing or {})
    if memo is not None:
        memo.begin(model)
        found = runner.run(rules, memo)
        memo.end()
    elif jobs > 1 and len(model.guests) + len(model.hosts) + len(documents) >= FORK_MIN_ELEMENTS:
        # Batches of neighbouring rules, taken by whichever process is free: the rules'
        # costs differ by a hundred times, and a fixed split (every jobs-th rule) left one
        # process with twice the other's work. The contexts are made here first, so that
        # each child has them (and their indexes) already.
        for rule_cls in rules:
            runner.context(rule_cls).warm()
        batches = _batches(rules, jobs)
        found = list(chain.from_iterable(shared(len(batches), lambda i: _merged(runner.run, batches[i]), jobs)))
    else:
        found = runner.run(rules)
    return _merge_stamped(list(chain.from_iterable(found)))


def _merged(run, rules: list) -> list[list[Diagnostic]]:
    """run(rules), each rule's findings merged as _merge_stamped merges them, before a
    forked share sends them back: a template's finding on 20,000 guests was 20,000
    findings pickled and read back (a fifth of the share) to make one. The same as merging
    them all after: a rule reports under its own code alone, so no group of _merge_stamped
    (same code and span) holds the findings of two rules, and a group merged already is
    one finding, which merging again leaves as it is."""
    return [_merge_stamped(found) for found in run(rules)]


# Below this many guests, hosts and documents (lint's files) the rules take less time than
# forking and taking the findings back.
FORK_MIN_ELEMENTS = 2_000


def _batches(rules: list, jobs: int) -> list[list]:
    """The rules in BATCHES_PER_JOB * jobs runs of neighbours (alike in what they look at:
    the guest rules of a batch still check each block of guests together)."""
    n = min(len(rules), BATCHES_PER_JOB * jobs)
    return [rules[len(rules) * k // n:len(rules) * (k + 1) // n] for k in range(n)]


# Batches per process: enough that the last ones taken are short, few enough that each
# batch's guest rules still share their passes over the fleet.
BATCHES_PER_JOB = 8


class _Runner:
    """Runs rules on one model, with the contexts (and their indexes) made for the first
    rule that needs each kept for every later one, in whichever batch it comes."""

    def __init__(self, model: Model, documents, missing: dict[str, set[str]]):
        self.model, self.documents, self.missing = model, documents, missing
        self.contexts: dict[tuple[bool, frozenset], Context] = {}
        # One context per set of hosts seen, not per kind of rule: the kinds of rule that see
        # the same hosts (on most fleets, all of them) share one copy of the fleet and its
        # indexes instead of each making its own.
        self.by_hosts: dict[tuple[int, ...], Context] = {}
        # Without Hyper-V hosts or missing facts (most checks), every kind of rule sees every
        # host: no need to look at each host again for each of the ~20 kinds.
        self.every = None if missing or any(h.hypervisor == "hyperv" for h in model.hosts) else tuple(
            range(len(model.hosts)))

    def context(self, rule_cls) -> Context:
        # Hyper-V hosts carry RHEL 5 guests only for their kernel arguments (guide §4); the
        # Xen and KVM rules do not see them.
        key = (rule_cls.hyperv, frozenset(rule_cls.facts))
        found = self.contexts.get(key)
        if found is None:
            needs, missing = key[1], self.missing

            def keep(h):
                return (key[0] or h.hypervisor != "hyperv") and not (needs & missing.get(h.name, set()))

            seen = self.every if self.every is not None else tuple(
                i for i, h in enumerate(self.model.hosts) if keep(h))
            if seen not in self.by_hosts:
                self.by_hosts[seen] = Context(_restricted(self.model, keep), documents=self.documents)
            found = self.contexts[key] = self.by_hosts[seen]
        return found

    def run(self, rules: list, memo=None) -> list[list[Diagnostic]]:
        """The findings of each rule of `rules`, in their order."""
        found: list[list[Diagnostic]] = []  # each rule's findings, in the rules' order
        guest_rules: dict[int, tuple[tuple, list]] = {}  # per list of guests: (guest check, its findings)
        for rule_cls in rules:
            ctx = self.context(rule_cls)
            if memo is not None and memo.handles(rule_cls):
                found.append(memo.run(rule_cls, ctx))
            elif rule_cls.scope is Scope.GUEST and rule_cls.run is Rule.run:
                rule = rule_cls(ctx)
                found.append([])
                guests = ctx.guests_for(rule_cls)
                guest_rules.setdefault(id(guests), (guests, []))[1].append((rule.guest, found[-1]))
            else:
                found.append(list(rule_cls().run(ctx)))  # a list, as a forked share sends it back
        for guests, checks in guest_rules.values():  # the rules that see the same guests, together
            _check_guests(guests, checks)
        return found


# Guests per pass of the guest rules: every rule checks a block of guests before the next
# block, while the block's objects are still in the CPU's cache. Rule after rule over the
# whole fleet read a big fleet (20,000 guests) from memory once per rule: a guest rule's
# time per guest was four times that on a fleet of 2,000.
_BLOCK = 128


def _check_guests(guests: tuple, checks: list) -> None:
    """Each (rule.guest, findings) of `checks` over every guest; the findings of each rule
    in the order of the guests, as Rule.run gives them."""
    for start in range(0, len(guests), _BLOCK):
        block = guests[start:start + _BLOCK]
        for check, out in checks:
            out.extend(chain.from_iterable(map(check, block)))


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


def suppressions(syntax: dict, sources: dict[str, SourceFile],
                 formats: dict[str, str] | None = None) -> tuple[dict[str, list[Suppression]], list[Diagnostic]]:
    """The inline suppressions of every file: .virt files by their syntax trees, existing
    files (`formats`: path -> format name) by their format's comments."""
    sups: dict[str, list[Suppression]] = {}
    meta: list[Diagnostic] = []
    for path, tree in syntax.items():
        sups[path], problems = collect(tree, sources[path], resolve_code)
        meta += problems
    for path, name in (formats or {}).items():
        from virtc import targets  # only lint and import have files of formats

        fmt = targets.by_name(name)
        if fmt.comments and path in sources:
            sups[path], problems = collect_in_file(sources[path], fmt.comments, resolve_code, fmt.trailing)
            meta += problems
    return sups, meta
