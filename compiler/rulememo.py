"""Rule results kept from one check to the next (the editor re-checks a file on every edit).

A guest rule looks at one guest and its host; a host rule at one host and its guests. When
those are equal to last check's (the model's dataclasses compare every field, spans
included), the rule's findings are last check's. Whether a rule really looks at nothing
else is not taken on trust: it runs with a view of the context that has only `host_of` and
`limits`, and a rule that reaches for anything more (the whole model, a fleet index, state
kept on the rule between elements) is run the ordinary way from then on.
"""
from __future__ import annotations

from itertools import chain

from .diagnostics import Diagnostic
from .model import Guest, Host, Model
from .rules.base import Context, Rule, Scope


class Escaped(Exception):
    """A rule reached past its element (not an AttributeError: hasattr must not hide it)."""


class _View:
    """What a guest or host rule may see of the check's context."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: Context):
        object.__setattr__(self, "_ctx", ctx)

    def host_of(self, guest: Guest) -> Host:
        return self._ctx.host_of(guest)

    @property
    def limits(self):
        return self._ctx.limits

    def __getattr__(self, name):
        raise Escaped(name)

    def __setattr__(self, name, value):
        raise Escaped(name)


class RuleMemo:
    """Per rule, its findings per guest or host of the last check."""

    def __init__(self):
        self._guests: dict[str, tuple[Guest, Host]] = {}
        self._hosts: dict[str, tuple[Host, tuple[Guest, ...]]] = {}
        # rule code -> (names of the elements it saw, in order; the findings on each)
        self._found: dict[str, tuple[tuple[str, ...], list[list[Diagnostic]]]] = {}
        self._next: dict[str, tuple[tuple[str, ...], list[list[Diagnostic]]]] = {}
        self._changed: set[str] = set()  # "g:NAME" / "h:NAME" not equal to last check's
        self._todo: dict[tuple[int, str], tuple[tuple[str, ...], list[int]]] = {}  # per context
        self._open = False  # between begin() and end()
        self.unsafe: set[str] = set()  # rule codes that look past their element
        self.stats = {"reused": 0, "ran": 0}

    def begin(self, model: Model) -> None:
        """Compare the new model with the last one; call before the rules run."""
        if self._open:  # the last check stopped (an exception) before end(): trust nothing
            self._found = {}
        self._open = True
        hosts = {h.name: h for h in model.hosts}
        guests_by_host: dict[str, list[Guest]] = {}
        changed: set[str] = set()
        new_guests = {}
        for g in model.guests:
            host = hosts[g.host]
            new_guests[g.name] = (g, host)
            guests_by_host.setdefault(g.host, []).append(g)
            old = self._guests.get(g.name)
            if old is None or old[0] != g or old[1] != host:
                changed.add("g:" + g.name)
        new_hosts = {}
        for h in model.hosts:
            mine = tuple(guests_by_host.get(h.name, ()))
            new_hosts[h.name] = (h, mine)
            old = self._hosts.get(h.name)
            if (old is None or old[0] != h or [g.name for g in old[1]] != [g.name for g in mine]
                    or any("g:" + g.name in changed for g in mine)):
                changed.add("h:" + h.name)
        self._guests, self._hosts, self._changed = new_guests, new_hosts, changed
        self._next, self._todo = {}, {}

    def end(self) -> None:
        """Keep this check's findings for the next one."""
        self._found, self._next, self._todo, self._open = self._next, {}, {}, False

    def relocate(self, move) -> None:
        """The guests, hosts and findings kept, moved to where their declarations are now
        (`move`: a virtc.lsp_relocate.Move). An element whose findings cannot be moved is
        forgotten, so that the next check counts it as changed and runs the rules on it."""
        stale: set[str] = set()
        moved_names: set[str] = set()  # findings on the others stay where they are
        for table in (self._guests, self._hosts):
            for name, entry in list(table.items()):
                moved = move.entry(entry, 2)
                if moved is None:
                    stale.add(name)
                elif moved is not entry:
                    table[name] = moved
                    moved_names.add(name)
        where: dict[int, list[int]] = {}  # id(names) -> places of the moved elements in it
        for code, (names, found) in self._found.items():
            if id(names) not in where:  # rules of one kind share their names
                where[id(names)] = [i for i, n in enumerate(names) if n in moved_names]
            moved = list(found)
            for i in where[id(names)]:
                diags = found[i]
                if diags and names[i] in moved_names:
                    kept = move.entry((diags,), 0)
                    if kept is None:
                        stale.add(names[i])
                    else:
                        moved[i] = kept[0]
            self._found[code] = (names, moved)
        for name in stale:  # guest and host names may be the same: forget both
            self._guests.pop(name, None)
            self._hosts.pop(name, None)

    def handles(self, rule_cls: type[Rule]) -> bool:
        # a rule with its own run() prepares something there (a fleet index) that its
        # guest() or host() reads: the memo, which calls those alone, cannot run it
        return (rule_cls.scope in (Scope.GUEST, Scope.HOST) and rule_cls.run is Rule.run
                and rule_cls.code not in self.unsafe)

    def _elements(self, ctx: Context, kind: str) -> tuple[tuple[str, ...], list[int]]:
        """The names of the elements a rule sees in ctx, and the positions of the changed ones."""
        key = (id(ctx), kind)
        if key not in self._todo:
            elements = ctx.model.guests if kind == "g:" else ctx.model.hosts
            names = tuple(e.name for e in elements)
            self._todo[key] = (names, [i for i, n in enumerate(names) if kind + n in self._changed])
        return self._todo[key]

    def run(self, rule_cls: type[Rule], ctx: Context) -> list[Diagnostic]:
        """The rule's findings on ctx, in the order Rule.run gives them."""
        rule = rule_cls()
        rule.ctx = _View(ctx)
        kind = "g:" if rule_cls.scope is Scope.GUEST else "h:"
        elements = ctx.model.guests if kind == "g:" else ctx.model.hosts
        names, changed = self._elements(ctx, kind)
        old = self._found.get(rule_cls.code)
        if old is not None and old[0] == names:
            found, todo = list(old[1]), changed
        elif old is not None and len(set(names)) == len(names):  # reordered (a block moved), added, removed
            before = dict(zip(*old))
            found = [before.get(n) for n in names]
            todo = [i for i, f in enumerate(found) if f is None or kind + names[i] in self._changed]
        else:
            found, todo = [[]] * len(names), range(len(names))
        self.stats["ran"] += len(todo)
        self.stats["reused"] += len(names) - len(todo)
        try:
            if kind == "g:":
                check = rule.guest
                for i in todo:
                    found[i] = [*check(elements[i])]
            else:
                check, by_host = rule.host, ctx.guests_by_host
                for i in todo:
                    found[i] = [*check(elements[i], by_host.get(elements[i].name, []))]
            if len(vars(rule)) != 1:  # anything besides ctx: state kept from one element to the next
                raise Escaped("state kept on the rule")
        except Escaped:
            self.unsafe.add(rule_cls.code)
            return list(rule_cls().run(ctx))
        self._next[rule_cls.code] = (names, found)
        return list(chain.from_iterable(found))
