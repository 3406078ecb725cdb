"""What the compiler made from each declaration in the last compile of the same files (the
editor compiles a file again on every edit).

The editor's parse cache hands back the very same syntax objects for the top-level items
an edit did not touch, so "unchanged" is a question of identity (`is`), which costs
nothing. A host made from the same HostDecl, a guest's statements applied from the same
GuestDecl and template chain, a guest frozen from the same builder on the same host with
the same MAC addresses: each is taken from the last compile, and the diagnostics its
making reported are reported again, in the same order (the compiler removes repeats, as
it does for a template's statement met once per guest).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

from ..diagnostics import Diagnostic
from ..model import Guest, Host
from ..syntax import GuestDecl, HostDecl, TemplateDecl
from .drafts import GuestBuilder
from .scalars import ValueReader

_SLOTS = tuple(f.name for f in fields(GuestBuilder))


def _copy(b: GuestBuilder) -> GuestBuilder:
    """copy.copy(b) in half the time (copy takes the generic path of __reduce_ex__ for slots)."""
    out = object.__new__(GuestBuilder)
    for name in _SLOTS:
        setattr(out, name, getattr(b, name))
    return out


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


class CompileMemo:
    def __init__(self):
        self._hosts: dict[str, tuple] = {}
        self._builders: dict[str, tuple] = {}
        self._frozen: dict[str, tuple] = {}
        self._derived_hosts: dict[str, tuple] = {}
        self._derived_guests: dict[str, tuple] = {}
        self.stats = {"reused": 0, "made": 0}

    def _record(self, c: ValueReader, make: Callable[[], object]) -> tuple[object, list[Diagnostic]]:
        outer = c.recording
        c.recording = reports = []
        try:
            made = make()
        finally:
            c.recording = outer
        if outer is not None:
            outer.extend(reports)
        self.stats["made"] += 1
        return made, reports

    def _replay(self, c: ValueReader, reports: list[Diagnostic]) -> None:
        self.stats["reused"] += 1
        for d in reports:
            c.report(d)

    def host(self, c: ValueReader, decl: HostDecl, make: Callable[[], Host]) -> Host:
        old = self._hosts.get(decl.name.text)
        if old is not None and old[0] is decl:
            self._replay(c, old[2])
            return old[1]
        host, reports = self._record(c, make)
        self._hosts[decl.name.text] = (decl, host, reports)
        return host

    def builder(self, c: ValueReader, decl: GuestDecl, chain: list[TemplateDecl], key: tuple,
                make: Callable[[], GuestBuilder]) -> GuestBuilder:
        """The guest's builder once its statements are applied; a copy each time, as
        finishing sets its defaults. `key`: the rest the statements depend on (name,
        host, index, whether the template is missing)."""
        name = key[0]
        old = self._builders.get(name)
        if old is not None and old[0] is decl and _same(old[1], tuple(chain)) and old[2] == key:
            self._replay(c, old[4])
            b = old[3]
        else:
            b, reports = self._record(c, make)
            self._builders[name] = (decl, tuple(chain), key, b, reports)
        out = _copy(b)
        out.origin = b
        return out

    def frozen(self, c: ValueReader, b: GuestBuilder, host: Host, macs: tuple,
               make: Callable[[], Guest]) -> Guest:
        origin = getattr(b, "origin", None)
        key = (b.type, b.memory_kib, macs)
        old = self._frozen.get(b.name)
        if origin is not None and old is not None and old[0] is origin and old[1] is host and old[2] == key:
            self._replay(c, old[4])
            return old[3]
        guest, reports = self._record(c, make)
        if origin is not None:
            self._frozen[b.name] = (origin, host, key, guest, reports)
        return guest

    def derived_host(self, h: Host, guests: list[Guest], make: Callable[[], Host]) -> Host:
        old = self._derived_hosts.get(h.name)
        if old is not None and old[0] is h and _same(old[1], tuple(guests)):
            return old[2]
        made = make()
        self._derived_hosts[h.name] = (h, tuple(guests), made)
        return made

    def derived_guest(self, g: Guest, h: Host, make: Callable[[], Guest]) -> Guest:
        old = self._derived_guests.get(g.name)
        if old is not None and old[0] is g and old[1] is h:
            return old[2]
        made = make()
        self._derived_guests[g.name] = (g, h, made)
        return made

    def state(self) -> tuple:
        """What restore() puts back."""
        return tuple(dict(t) for t in self._tables())

    def restore(self, state: tuple) -> None:
        for table, saved in zip(self._tables(), state):
            table.clear()
            table.update(saved)

    def _tables(self) -> tuple[dict, ...]:
        return self._hosts, self._builders, self._frozen, self._derived_hosts, self._derived_guests

    def relocate(self, move) -> None:
        """Every result moved to where its declarations are now (`move`: a
        virtc.lsp_relocate.Move); one that points into changed text is dropped."""
        # in the order they are made, each entry after what it was made from (its first
        # `deps` items), so that an entry made from what did not move is not walked
        for table, deps in ((self._hosts, 1), (self._builders, 2), (self._frozen, 2),
                            (self._derived_hosts, 2), (self._derived_guests, 2)):
            for name, entry in list(table.items()):
                moved = move.entry(entry, deps)
                if moved is None:
                    del table[name]
                else:
                    table[name] = moved
