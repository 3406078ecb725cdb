"""What a rule is, and the context rules run in.

A rule is a class with its metadata as attributes and its documentation as its
docstring (sections: What it checks / Why / Example / Fix, plus the guide's wording
translated to English). It checks one scope: each guest, each host, or the whole fleet.
Host and fleet rules build indexes (dicts keyed by what must be unique or summed), never
pairwise loops.
"""
from __future__ import annotations

import enum
import inspect
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import attrgetter
from typing import Iterable

from ..diagnostics import Diagnostic, Fix, Related, Severity
from ..limits import Limit, Limits, limits
from ..model import Guest, Host, Model
from ..owner import Owner
from ..source import Span


class Scope(enum.Enum):
    GUEST = "guest"
    HOST = "host"
    FLEET = "fleet"
    DOCUMENT = "document"  # an existing file as read (format-level checks)
    READER = "reader"  # reported by a format's reader while reading (syntax); no check() here
    # Reported by the compiler of .virt files and virtc's configuration (syntax, names,
    # values, suppressions, output paths); no check() here. The input itself is wrong, so
    # a configuration cannot change it and a suppression cannot silence it.
    LANGUAGE = "language"


class Context:
    """The model plus indexes shared by rules (built lazily, once per check)."""

    def __init__(self, model: Model, limit_data: Limits | None = None, documents=()):
        self.model = model
        self.limits = limit_data or limits()
        self.documents = tuple(documents)
        self._hosts_for: dict[tuple, list[tuple[Host, list[Guest]]]] = {}  # Context.hosts_for
        self._stating_cache: dict[str, list[int]] = {}
        self._guests_for: dict[tuple, tuple[Guest, ...]] = {}  # Context.guests_for
        self._guests_stating: dict[str, set[int]] = {}

    @cached_property
    def hosts(self) -> dict[str, Host]:
        return {h.name: h for h in self.model.hosts}

    @cached_property
    def guests_by_host(self) -> dict[str, list[Guest]]:
        out: dict[str, list[Guest]] = defaultdict(list)
        for g in self.model.guests:
            out[g.host].append(g)
        return out

    def warm(self) -> None:
        """Make the indexes every rule uses now (before `run_rules` forks: its children
        then have them, instead of each making its own)."""
        self._host_pairs  # noqa: B018 - a cached property: made here, with hosts and guests_by_host
        self.hosts  # noqa: B018

    def host_of(self, guest: Guest) -> Host:
        return self.hosts[guest.host]

    def one_guest(self, a: Guest, b: Guest) -> bool:
        """Whether two guests of the model are one guest written twice, which the rules that
        compare guests (UUIDs, MACs) do not compare with itself. Only linted files give a
        model two guests of one name: two files of one host (VF010 reports that once), or
        the configuration of one guest on each host of a migration pool, kept on every host
        the guest may run on: the same name and UUID on hosts that are each other's peers.
        (A .virt fleet names each guest once.)"""
        if a.name != b.name:
            return False
        if a.host == b.host:
            return True
        if a.uuid != b.uuid:
            return False
        ha, hb = self.hosts.get(a.host), self.hosts.get(b.host)
        return bool(ha and hb and ha.migration and hb.migration
                    and b.host in ha.migration.peers and a.host in hb.migration.peers)

    @cached_property
    def _host_pairs(self) -> list[tuple[Host, list[Guest]]]:
        by_host = self.guests_by_host
        return [(h, by_host.get(h.name, [])) for h in self.model.hosts]

    def _stating(self, name: str) -> list[int]:
        """The places in model.hosts of the hosts whose field `name` states something."""
        found = self._stating_cache.get(name)
        if found is None:
            if name == "guests":
                found = [i for i, (_, guests) in enumerate(self._host_pairs) if guests]
            else:
                get = attrgetter(name)
                found = [i for i, h in enumerate(self.model.hosts) if get(h) not in _EMPTY]
            self._stating_cache[name] = found
        return found

    def hosts_for(self, rule: type[Rule]) -> list[tuple[Host, list[Guest]]]:
        """(host, its guests) of each host that a host rule's preconditions (Rule.when,
        Rule.hypervisors) let it look at, in the model's order. Each field is looked at
        once per context, whatever the number of rules naming it: on a fleet of small
        hosts, few hosts state most fields and these lists are short."""
        key = (rule.when, rule.hypervisors)
        found = self._hosts_for.get(key)
        if found is None:
            pairs, hypervisors = self._host_pairs, rule.hypervisors
            if not rule.when:
                found = pairs
            elif len(rule.when) == 1:
                found = [pairs[i] for i in self._stating(rule.when[0])]
            else:
                found = [pairs[i] for i in sorted(set().union(*map(self._stating, rule.when)))]
            if hypervisors:
                found = [p for p in found if p[0].hypervisor in hypervisors]
            self._hosts_for[key] = found
        return found


    def guests_for(self, rule: type[Rule]) -> tuple[Guest, ...]:
        """The guests a guest rule's preconditions (Rule.when, Rule.guest_types) let it look
        at, in the model's order: on a fleet of plain guests, the rules about PCI devices,
        installs or HVM guests are not called 20,000 times to find nothing."""
        key = (rule.when, rule.guest_types)
        found = self._guests_for.get(key)
        if found is None:
            guests = self.model.guests
            if rule.when:
                places = set().union(*map(self._guest_stating, rule.when))
                guests = [g for i, g in enumerate(guests) if i in places]
            if rule.guest_types:
                guests = [g for g in guests if g.type in rule.guest_types]
            found = self._guests_for[key] = tuple(guests)
        return found

    def _guest_stating(self, name: str) -> set[int]:
        """The places in model.guests of the guests whose field `name` states something."""
        found = self._guests_stating.get(name)
        if found is None:
            get = attrgetter(name)
            found = self._guests_stating[name] = {i for i, g in enumerate(self.model.guests) if get(g) not in _EMPTY}
        return found


# What a precondition takes for a field that states nothing (0 and False state something).
_EMPTY = (None, "", ())


@dataclass(frozen=True)
class Doc:
    """A rule's documentation split from its docstring."""

    summary: str
    body: str


class Rule:
    code: str = ""
    name: str = ""
    severity: Severity = Severity.ERROR
    checklist: tuple[str, ...] = ()
    section: str = ""
    lines: str = ""
    scope: Scope = Scope.GUEST
    uses: tuple[str, ...] = ()  # keys of schemas/limits.json this rule reads
    formats: tuple[str, ...] = ()  # document formats a DOCUMENT rule checks
    hyperv: bool = False  # also sees Hyper-V hosts and guests (most rules are about Xen and KVM)
    # Host facts the rule compares with: "cpu", "memory", "numa", "release". Existing config
    # files rarely state them (capabilities XML does); lint says which rules it skipped.
    facts: tuple[str, ...] = ()
    # Preconditions of a host rule, declared so that a fleet of small hosts does not call
    # every host rule on every host to find nothing: host() runs only on a host where one
    # of the fields named in `when` states something (Host attributes, dotted for nested
    # ones: "grub.args"; "guests": the host has guests), and whose hypervisor is one of
    # `hypervisors`. () means every host. A rule declares them only when its host() can
    # report nothing on the other hosts (tests/test_host_preconditions.py tries that on
    # every host of the examples and the cases).
    when: tuple[str, ...] = ()
    hypervisors: tuple[str, ...] = ()
    # The same for a guest rule: guest() runs only on a guest where one of the Guest fields
    # named in `when` states something ("pci", "install", "boot.kernel"), and whose type is
    # one of `guest_types` ("xen-pv", "xen-hvm", "kvm", "hyperv"); () means every guest
    # (tests/test_guest_preconditions.py tries that on every guest of the corpus).
    guest_types: tuple[str, ...] = ()
    # Whether its findings carry a mechanical fix: "safe", "unsafe" (the kind of most of
    # them; a finding's own Fix says which it is) or None. `fix_title` says what it does.
    fix: str | None = None
    fix_title: str = ""

    def __init__(self, ctx: Context | None = None):
        self.ctx = ctx

    # -- documentation --------------------------------------------------

    @classmethod
    def doc(cls) -> Doc:
        text = inspect.cleandoc(cls.__doc__ or "")
        summary, _, body = text.partition("\n")
        return Doc(summary.strip(), body.strip())

    @classmethod
    def reference(cls) -> str:
        return f"RHEL 5 Virtualization Guide {cls.section}, lines {cls.lines} ({', '.join(cls.checklist)})"

    # -- running --------------------------------------------------------

    def run(self, ctx: Context) -> list[Diagnostic]:
        # A list, filled by list.extend: a guest rule runs once per guest of the fleet, and
        # re-yielding each guest's findings through this frame cost a fifth of all rules.
        self.ctx = ctx
        if self.scope is Scope.GUEST:
            # map and chain loop in C: a fifth of the guest rules' time went to this loop
            return list(chain.from_iterable(map(self.guest, ctx.guests_for(type(self)))))
        out: list[Diagnostic] = []
        add = out.extend
        if self.scope is Scope.HOST:
            for h, guests in ctx.hosts_for(type(self)):
                add(self.host(h, guests))
        elif self.scope is Scope.FLEET:
            add(self.fleet())
        elif self.scope is Scope.DOCUMENT:
            for doc in ctx.documents:
                if doc.format in self.formats:
                    add(self.document(doc))
        return out

    def document(self, doc) -> Iterable[Diagnostic]:
        return ()

    def guest(self, g: Guest) -> Iterable[Diagnostic]:
        return ()

    def host(self, h: Host, guests: list[Guest]) -> Iterable[Diagnostic]:
        return ()

    def fleet(self) -> Iterable[Diagnostic]:
        return ()

    # -- helpers --------------------------------------------------------

    def limit(self, key: str) -> Limit:
        # the dict itself, not Limits.__getitem__: guest rules ask 26 times per guest
        return self.ctx.limits.by_key[key]

    def report(self, message: str, span: Span | None, owner: Owner | None = None, *, hint: str | None = None,
               related: Iterable[Related] = (), severity: Severity | None = None,
               limit: Limit | None = None, fix: Fix | None = None) -> Diagnostic:
        if limit is not None:
            return cited(self.code, severity or self.severity, message, span, limit, owner=owner, hint=hint,
                         related=related, fix=fix)
        short, reference = self._citation()
        return Diagnostic(self.code, severity or self.severity, f"{message} ({short})", span, owner,
                          hint, reference, tuple(related), fix)

    @classmethod
    def _citation(cls) -> tuple[str, str]:
        """What report() appends to a message, and the reference; made once per rule class
        (a rule that finds something on each of 20,000 guests made them 20,000 times)."""
        made = cls.__dict__.get("_cited")
        if made is None:
            made = (f"RHEL 5 Virtualization Guide {cls.section}, {', '.join(cls.checklist)}", cls.reference())
            cls._cited = made
        return made


def cited(code: str, severity: Severity, message: str, span: Span | None, limit: Limit, *,
          owner: Owner | None = None, hint: str | None = None, related: Iterable[Related] = (),
          fix: Fix | None = None) -> Diagnostic:
    """A finding about one of the guide's documented limits, cited as the limit is. Readers
    use it for a code that an area rule owns (the grub reader sees `dom0_mem=256MB` before
    it becomes a fact the boot rules can no longer tell apart)."""
    short = f"RHEL 5 Virtualization Guide {limit.section}, {', '.join(limit.checklist)}"
    return Diagnostic(code, severity, f"{message} ({short})", span, owner, hint, limit.citation, tuple(related), fix)


def rhel5_defaults(ctx: Context, g) -> bool:
    """Whether what a Xen guest's file leaves unsaid is taken as RHEL 5's xend takes it (no
    pae for an HVM guest; PV drivers in an HVM guest with an xvd disk or a netfront NIC).
    Not on a later system (Host.later_system), whose xend or xl fill in otherwise: pae on,
    and an xvd disk of an HVM guest emulated for its firmware as well."""
    return ctx.host_of(g).later_system is None


def rules_in(namespace: dict) -> tuple[type[Rule], ...]:
    """The rule classes a module defines (those with a code), in code order: a format's or
    an area's list for the registry."""
    found = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, Rule) and v.code]
    return tuple(sorted(found, key=lambda r: r.code))
