"""CPU and memory rules (checklist areas CPU, MEM): vCPUs, overcommit, memory limits.

Host rules add up every guest declared on a host. virtc does not know which guests run at
the same time, so every declared guest counts: a paused guest still holds its memory
(MEM-16, §25 lines 4135, 4216), and a stopped one can be started at any time. A host
that does not state a fact a rule needs (cores, logical CPUs, RAM, swap) is not checked
by that rule: nothing is guessed.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable

from ..diagnostics import Related, Severity
from ..model import Guest, Host
from ..owner import Owner
from ..source import Span
from ..units import KIB, format_kib
from .base import Rule, Scope
from ..values import is_number

# Checklist items of this area that no rule implements, and why (see compiler/coverage.py).
NOT_CHECKABLE: dict[str, str] = {
    "CPU-14": "emitter: virt-install --cpuset=auto is a provisioning option; virtc writes the cpuset the "
              "description states (VC107 checks it against the NUMA cells)",
    "CPU-16": "no field: the credit scheduler's per-domain weight and cap (xm sched-credit -w/-c) are not in "
              "the model; a guest statement such as `sched weight 256 cap 25` would be needed",
}

# Guest roles whose I/O load makes a dedicated CPU for Xen's domain0 worthwhile (CPU-17).
IO_HEAVY_ROLES = ("io-heavy", "database")


# -- helpers -------------------------------------------------------------


def _span(element, key: str) -> Span:
    """Where `key` of a guest or host was set, else the element itself."""
    return element.fields.get(key) or element.span


def _size(kib: int) -> str:
    return format_kib(kib)


def _crossing(guests: list[Guest], amount: Callable[[Guest], int], limit: float,
              inclusive: bool = False) -> int | None:
    """Index of the first guest at which the running total passes `limit` (reaches it when
    `inclusive`), in declaration order: the guest that tips the host over."""
    total = 0
    for i, g in enumerate(guests):
        total += amount(g)
        if total > limit or (inclusive and total >= limit):
            return i
    return None


def _largest(guests: list[Guest], amount: Callable[[Guest], int], excess: float) -> list[Guest]:
    """The largest guests that together make up at least `excess` (always at least one):
    moving these would bring the host under the limit."""
    out, total = [], 0
    for g in sorted(guests, key=lambda x: (-amount(x), x.name)):
        out.append(g)
        total += amount(g)
        if total >= excess:
            break
    return out


def _guest_related(guests: list[Guest], amount: Callable[[Guest], int], key: str,
                   show: Callable[[int], str]) -> list[Related]:
    """One related span per statement: guests stamped from one range or template share one."""
    by_span: dict[Span, list[Guest]] = defaultdict(list)
    for g in guests:
        by_span[_span(g, key)].append(g)
    out = []
    for span, gs in by_span.items():
        names = gs[0].name if len(gs) == 1 else f"{gs[0].name} and {len(gs) - 1} more"
        out.append(Related(span, f"{names}: {show(amount(gs[0]))} each" if len(gs) > 1
                           else f"{names}: {show(amount(gs[0]))}"))
    return out


def _host_related(h: Host, *keys: tuple[str, str]) -> list[Related]:
    return [Related(h.fields.get(k), text) for k, text in keys if h.fields.get(k)]


# CPU lists ("0-3,6,^2") as sorted, disjoint, inclusive intervals.
Intervals = list[tuple[int, int]]


def _merge(ivs: Iterable[tuple[int, int]]) -> Intervals:
    out: Intervals = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def parse_cpus(text: str) -> tuple[Intervals, list[str]]:
    """The CPUs a list selects (inclusions minus ^exclusions), and what is wrong with it."""
    inc, exc, problems = [], [], []
    for part in text.split(","):
        neg = part.startswith("^")
        first, _, last = part.lstrip("^").partition("-")
        lo, hi = int(first), int(last or first)
        if hi < lo:
            problems.append(f"the range {part.lstrip('^')} runs backwards")
            continue
        (exc if neg else inc).append((lo, hi))
    out: Intervals = []
    for lo, hi in _merge(inc):
        for elo, ehi in _merge(exc):
            if ehi < lo or elo > hi:
                continue
            if elo > lo:
                out.append((lo, elo - 1))
            lo = ehi + 1
            if lo > hi:
                break
        if lo <= hi:
            out.append((lo, hi))
    return out, problems


def _count(ivs: Intervals) -> int:
    return sum(hi - lo + 1 for lo, hi in ivs)


def _overlaps(a: Intervals, b: Intervals) -> bool:
    return any(alo <= bhi and blo <= ahi for alo, ahi in a for blo, bhi in b)


def _numa_cells(h: Host) -> list[tuple[object, Intervals]]:
    """The host's NUMA cells that state their CPUs, with those CPUs."""
    out = []
    for cell in h.numa:
        if cell.cpus:
            ivs, _ = parse_cpus(cell.cpus)
            if ivs:
                out.append((cell, ivs))
    return out


def _cells_of(cpus: Intervals, cells: list[tuple[object, Intervals]]) -> list[tuple[object, Intervals]]:
    return [(cell, ivs) for cell, ivs in cells if _overlaps(cpus, ivs)]


# -- CPU -------------------------------------------------------------------


class KvmVcpusPerCore(Rule):
    """A KVM host runs at most 10 vCPUs per physical core, and 5 is the safe ratio.

    What it checks: the vCPUs of all guests of a KVM host (each guest's `vcpus`, the count
    it starts with) divided by the host's physical cores (`cpu cores N`). Above 10 per core
    is an error; above 5 a warning. Hosts that do not state their cores are not checked.

    Why: "A physical processor core does not support more than ten virtual processors.
    Overcommitting virtual processors beyond that number causes problems for some
    guests" (§5.2, lines 484-485), and "KVM can safely support guests under 100% load at a ratio of up to five
    virtual CPUs" (§32.4, line 5083). The glossary adds that the number of virtual CPUs a
    system can offer follows from its physical cores (lines 6378-6379), which is why
    cores, not hyper-threads, are counted.

    Contradiction C-02: the guide gives four bounds for vCPU overcommit: 10 per core
    (line 485), a safe ratio of 5 (line 5083), no SMP guest larger than the physical core
    count (line 5084, VC103), and "do not exceed the physical CPUs (or hyper-threads),
    though overcommitting is possible" (lines 785, 1047, 1108, 1211, VC104). The stated
    hard limit, 10 per core, is the error; the stricter safe ratio 5 is the warning; any
    overcommit at all is the VC102 warning. Xen supports CPU overcommit (line 5066) and has
    no such ratio, so Xen hosts are not checked.

    Example:
        host k { hypervisor kvm; cpu intel cores 2 threads 4; memory 32G }
        guest g[1..6] on k { memory 1G; vcpus 4 }     # 24 vCPUs on 2 cores = 12 per core

    Fix: fewer or smaller guests on the host (guests with one vCPU overcommit best, line
    5083), or a host with more cores.
    """

    code, name, severity = "VC101", "kvm-vcpus-per-core", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("CPU-01", "CPU-02", "CPU-18"), "§5.2", "484-486, 5082-5083, 6378-6379"
    scope = Scope.HOST
    uses = ("kvm.vcpus_per_core_max", "kvm.vcpus_per_core_safe")

    def host(self, h: Host, guests: list[Guest]):
        cores = h.cpu.cores
        kvm = [g for g in guests if g.type == "kvm"]
        if h.hypervisor != "kvm" or not cores or not kvm:
            return
        total = sum(g.vcpus for g in kvm)
        for key, sev in (("kvm.vcpus_per_core_max", Severity.ERROR), ("kvm.vcpus_per_core_safe", Severity.WARNING)):
            limit = self.limit(key)
            allowed = limit.value * cores
            if total <= allowed:
                continue
            g = kvm[_crossing(kvm, lambda x: x.vcpus, allowed)]
            what = "at most" if sev is Severity.ERROR else "a safe ratio of"
            related = _host_related(h, ("cpu", f"host {h.name}: {cores} physical cores"))
            related += _guest_related(_largest(kvm, lambda x: x.vcpus, total - allowed), lambda x: x.vcpus,
                                      "vcpus", lambda n: f"{n} vCPUs")
            yield self.report(
                f"host {h.name} runs {total} vCPUs on {cores} physical cores ({total / cores:.1f} per core); "
                f"KVM supports {what} {limit.value} per core; guest {g.name} takes it over",
                _span(g, "vcpus"), g.owner, severity=sev, limit=limit, related=related,
                hint="move guests to another host or give them fewer vCPUs (single-vCPU guests overcommit best)")
            return


class KvmCpuOvercommit(Rule):
    """Overcommitting a KVM host's CPUs carries risk: test before production.

    What it checks: a KVM host whose guests have more vCPUs in total than the host has
    physical cores, up to the safe ratio of 5 per core (above it, VC101 reports instead).

    Why: "Overcommitting CPUs has some risk and can lead to instability" (§5.2, line 486);
    "take care when overcommitting vCPUs: a load near 100% can cause requests to be
    dropped or response times to become unusable" (§32.4, line 5082); and "never
    overcommit memory or CPUs on a production system before extensive testing" (§5.1,
    lines 474-475; §32.4, lines 5087-5089). This is the strictest reading of
    contradiction C-02 (see VC101), so it is a warning that a host with tested,
    lightly loaded guests may turn off in its configuration.

    Example:
        host k { hypervisor kvm; cpu intel cores 4 threads 8; memory 32G }
        guest g[1..3] on k { memory 1G; vcpus 2 }     # 6 vCPUs on 4 cores

    Fix: keep the vCPU total within the physical cores, or load-test the guests at their
    peak before deploying and turn the warning off for that project (virtc.toml:
    `[rules]` then `kvm-cpu-overcommit = "off"`), or with `# virtc: ignore[VC102]
    load-tested` on the statement it points at.
    """

    code, name, severity = "VC102", "kvm-cpu-overcommit", Severity.WARNING
    facts = ("cpu",)
    checklist, section, lines = ("CPU-03", "CPU-07"), "§5.2", "474-475, 486, 5082, 5087-5089"
    scope = Scope.HOST
    uses = ("kvm.vcpus_per_core_safe",)

    def host(self, h: Host, guests: list[Guest]):
        cores = h.cpu.cores
        kvm = [g for g in guests if g.type == "kvm"]
        if h.hypervisor != "kvm" or not cores or not kvm:
            return
        total = sum(g.vcpus for g in kvm)
        if not cores < total <= self.limit("kvm.vcpus_per_core_safe").value * cores:
            return
        g = kvm[_crossing(kvm, lambda x: x.vcpus, cores)]
        related = _host_related(h, ("cpu", f"host {h.name}: {cores} physical cores"))
        related += _guest_related(_largest(kvm, lambda x: x.vcpus, total - cores), lambda x: x.vcpus,
                                  "vcpus", lambda n: f"{n} vCPUs")
        yield self.report(
            f"host {h.name} overcommits its CPUs: {total} vCPUs on {cores} physical cores "
            f"({total / cores:.1f} per core); guest {g.name} is the first beyond the cores",
            _span(g, "vcpus"), g.owner, related=related,
            hint="test the guests at full load before production, or keep the vCPU total within the cores")


def _vcpu_need(g: Guest) -> int:
    return max(g.vcpus, g.max_vcpus)


class KvmGuestVcpusAboveCores(Rule):
    """A KVM guest has no more vCPUs than the host has physical cores.

    What it checks: a KVM guest's vCPUs (`vcpus N`) against the host's physical cores
    (`cpu cores N`). Equal is fine. A maximum (`vcpus N max M`) above the cores, which
    `virsh setvcpus` could raise the guest to later, is a warning.

    Why: "You cannot overcommit SMP guests beyond the physical number of processor cores.
    For example, a guest with four virtual CPUs cannot run on a dual-core machine" (§32.4,
    line 5084); "a guest with as many vCPUs as the host has processors works as
    expected, e.g. four vCPUs on a quad-core host" (line 5085), so the bound is
    inclusive. This is the per-guest reading of contradiction C-02 (see VC101).

    Example:
        host k { hypervisor kvm; cpu intel cores 2 threads 4; memory 8G }
        guest g on k { memory 1G; vcpus 4 }

    Fix: give the guest at most as many vCPUs as the host has cores, or split the work
    over several smaller guests.
    """

    code, name, severity = "VC103", "kvm-guest-vcpus-above-cores", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("CPU-04", "CPU-06"), "§32.4", "5084-5085"

    def guest(self, g: Guest):
        cores = self.ctx.host_of(g).cpu.cores
        if g.type != "kvm" or not cores or _vcpu_need(g) <= cores:
            return
        if g.vcpus > cores:
            yield self.report(f"guest {g.name} has {g.vcpus} vCPUs but host {g.host} has {cores} physical cores",
                              _span(g, "vcpus"), g.owner,
                              related=_host_related(self.ctx.host_of(g), ("cpu", "the host's cores")),
                              hint=f"use at most `vcpus {cores}`, or split the work over several guests")
        else:
            yield self.report(f"guest {g.name} may be raised to {g.max_vcpus} vCPUs but host {g.host} has "
                              f"{cores} physical cores", _span(g, "vcpus"), g.owner,
                              severity=Severity.WARNING,
                              related=_host_related(self.ctx.host_of(g), ("cpu", "the host's cores")),
                              hint=f"lower the maximum to {cores}")


class GuestVcpusAboveLogicalCpus(Rule):
    """A guest has no more vCPUs than the host has logical CPUs (hyper-threads).

    What it checks: a guest's vCPUs against the host's logical CPUs (`cpu threads N`).
    On KVM hosts that state their cores, VC103 (the stricter per-core error) reports
    instead.

    Why: "Do not assign more virtual CPUs than the host has physical processors (or
    hyper-threads). You can overcommit virtual CPUs, but performance on both sides
    suffers noticeably from the context-switching overhead" (§7.2, line 785; §8.2,
    line 1047; §8.3, line 1108; §8.5, line 1211). Xen supports CPU overcommit (§32.4,
    line 5066), so only this warning applies to Xen guests. Contradiction C-02: this
    reading counts hyper-threads, line 5084 counts cores; both are checked, cores as the
    KVM error (VC103) and hyper-threads as this warning.

    Example:
        host x { hypervisor xen; cpu intel cores 4 threads 8; memory 32G }
        guest g on x { type xen-pv; memory 1G; vcpus 12 }

    Fix: give the guest at most as many vCPUs as the host has logical CPUs.
    """

    code, name, severity = "VC104", "guest-vcpus-above-logical-cpus", Severity.WARNING
    facts = ("cpu",)
    checklist, section, lines = ("CPU-05", "CPU-08"), "§7.2", "785, 1047, 1108, 1211, 5066"

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        threads = h.cpu.threads
        if not threads or _vcpu_need(g) <= threads or (g.type == "kvm" and h.cpu.cores):
            return
        now = g.vcpus > threads
        yield self.report(f"guest {g.name} {'has' if now else 'may be raised to'} {_vcpu_need(g)} vCPUs but host "
                          f"{g.host} has {threads} logical CPUs", _span(g, "vcpus"), g.owner,
                          related=_host_related(h, ("cpu", "the host's logical CPUs")),
                          hint=f"use at most {threads} vCPUs")


class VcpusAboveMax(Rule):
    """A guest's vCPU count at start is no more than its maximum.

    What it checks: `vcpus N max M` with N above M.

    Why: "the new count cannot exceed the number given when the guest was created" (§25,
    lines 4236-4239, virsh setvcpus): the maximum is fixed at creation and the current
    count lives below it.

    Example:
        vcpus 4 max 2

    Fix: raise the maximum (`vcpus 4 max 4`) or lower the count.
    """

    code, name, severity = "VC105", "vcpus-above-max", Severity.ERROR
    checklist, section, lines = ("CPU-09",), "§25", "4236-4239"

    def guest(self, g: Guest):
        if g.vcpus > g.max_vcpus:
            yield self.report(f"guest {g.name} starts with {g.vcpus} vCPUs but its maximum is {g.max_vcpus}",
                              _span(g, "vcpus"), g.owner, hint=f"write `vcpus {g.vcpus} max {g.vcpus}`")


class CpusetCpus(Rule):
    """A CPU list (guest cpuset, dom0 pinning) names CPUs the host has.

    What it checks: each guest's `cpuset` and the host's `dom0 ... pin`: a range that
    runs backwards (7-4), a list that selects no CPU (0-1,^0-1), and CPU numbers at or
    above the host's logical CPUs (`cpu threads N`; CPUs are numbered from 0). The
    numbers are checked only on hosts that state their logical CPUs.

    Why: "the cpulist parameter is a list of physical CPU numbers, separated by commas; it
    decides which physical CPUs the vCPU may run on" (§25, lines 4230-4235); a guest is
    locked to CPUs with the cpuset attribute, e.g. cpuset='4-7' for the CPUs of NUMA cell
    1 (§32.8, lines 5320-5328). A CPU the host does not have makes libvirt or xm refuse
    the pinning. Contradiction C-17: the guide writes the attribute on a `<vcpus>`
    element (lines 5323, 5326); libvirt's element is `<vcpu>` (lines 3880, 4111), which is
    what virtc writes.

    Example:
        host k { hypervisor kvm; cpu intel cores 4 threads 8; memory 16G }
        guest g on k { memory 1G; cpuset 4-11 }

    Fix: use CPU numbers below the host's logical CPUs (0-7 here), e.g. the CPUs of one
    NUMA cell.
    """

    code, name, severity = "VC106", "cpuset-cpus", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("CPU-10", "CPU-13"), "§25", "4230-4235, 5320-5328"
    scope = Scope.HOST

    def host(self, h: Host, guests: list[Guest]):
        if h.dom0_pin:
            yield from self.check(h, h.dom0_pin, f"dom0 of host {h.name}", _span(h, "dom0_pin"), h.owner)
        for g in guests:
            if g.cpuset:
                yield from self.check(h, g.cpuset, f"guest {g.name}", _span(g, "cpuset"), g.owner)

    def check(self, h: Host, text: str, who: str, span: Span, path: Owner):
        cpus, problems = parse_cpus(text)
        for p in problems:
            yield self.report(f"CPU list {text} of {who}: {p}", span, path, hint="write ranges low-high, e.g. 4-7")
        if not cpus and not problems:
            yield self.report(f"CPU list {text} of {who} selects no CPU", span, path,
                              hint="list the CPUs to use; ^N only removes N from the CPUs listed")
        threads = h.cpu.threads
        if threads and cpus and cpus[-1][1] >= threads:
            yield self.report(f"CPU list {text} of {who} names CPU {cpus[-1][1]}, but host {h.name} has "
                              f"{threads} logical CPUs (0-{threads - 1})", span, path,
                              related=_host_related(h, ("cpu", "the host's logical CPUs")),
                              hint=f"use CPUs 0-{threads - 1}")


class NumaGuestPlacement(Rule):
    """On a NUMA host a KVM guest stays within one NUMA cell.

    What it checks: on a KVM host with two or more `numa` cells that list their CPUs, a
    guest whose `cpuset` takes CPUs from more than one cell, and a guest with more vCPUs
    than its cell (the cell it is pinned to, or the largest cell) has CPUs.

    Why: "A guest on a NUMA system should be pinned to a processing core so that its memory
    allocations are always local to the node it is running on" (§32.8, line 5232); "if a
    guest needs eight vCPUs and each NUMA node has only four CPUs, running two guests of
    four vCPUs and splitting the work between them may use the host better than one guest
    of eight; running across several NUMA nodes degrades performance significantly"
    (line 5289). Contradiction C-42: the guide's `virsh nodeinfo` output shows one NUMA
    cell (line 5243) where `virsh capabilities` shows two (lines 5246, 5260); the
    capabilities topology is the one to copy into `numa` statements.

    Example:
        host k { hypervisor kvm; cpu intel cores 8 threads 8; memory 16G
                 numa 0 cpus 0-3 memory 8G; numa 1 cpus 4-7 memory 8G }
        guest g on k { memory 2G; vcpus 4; cpuset 2-5 }

    Fix: pin the guest to the CPUs of one cell (`cpuset 4-7`), and split guests that need
    more vCPUs than a cell has.
    """

    code, name, severity = "VC107", "numa-guest-placement", Severity.WARNING
    facts = ("numa",)
    checklist, section, lines = ("CPU-11",), "§32.8", "5232, 5243-5246, 5288-5289"
    scope = Scope.HOST

    def host(self, h: Host, guests: list[Guest]):
        cells = _numa_cells(h)
        if h.hypervisor != "kvm" or not len(cells) > 1:
            return
        largest = max(_count(ivs) for _, ivs in cells)
        for g in guests:
            touched = _cells_of(parse_cpus(g.cpuset)[0], cells) if g.cpuset else []
            if len(touched) > 1:
                ids = ", ".join(str(c.id) for c, _ in touched)
                yield self.report(f"guest {g.name} may run on CPUs of NUMA cells {ids} (cpuset {g.cpuset}), so "
                                  "part of its memory is remote", _span(g, "cpuset"), g.owner,
                                  related=[Related(c.span, f"NUMA cell {c.id}: CPUs {c.cpus}") for c, _ in touched],
                                  hint="pin it to the CPUs of one cell"
                                       + (f"; with more than {largest} vCPUs, split it into smaller guests"
                                          if g.vcpus > largest else ""))
                continue
            room = _count(touched[0][1]) if touched else largest
            if g.vcpus > room:
                where = f"NUMA cell {touched[0][0].id}, which it is pinned to," if touched else "the largest NUMA cell"
                related = [Related(touched[0][0].span, f"NUMA cell {touched[0][0].id}: CPUs {touched[0][0].cpus}")] \
                    if touched else [Related(c.span, f"NUMA cell {c.id}: CPUs {c.cpus}") for c, _ in cells]
                yield self.report(f"guest {g.name} has {g.vcpus} vCPUs but {where} has {room} CPUs",
                                  _span(g, "vcpus"), g.owner, related=related,
                                  hint=f"split the work over guests of at most {room} vCPUs, each pinned to one cell")


class NumaCellMemory(Rule):
    """The guests pinned to a NUMA cell fit in that cell's free memory.

    What it checks: on a KVM host, the guests whose `cpuset` lies within one `numa` cell,
    their memory added up against the cell's `free` memory (or its `memory` when free is
    not stated). The cell's free memory is taken as what is free before these guests
    start, so guests pinned to the same cell share it.

    Why: "Locking a guest to a particular NUMA node offers no benefit if that node does not
    have sufficient free memory for that guest" (§32.8, lines 5290-5295; `virsh freecell`
    shows the free memory of each cell).

    Example:
        host k { hypervisor kvm; cpu intel cores 8 threads 8; memory 16G
                 numa 0 cpus 0-3 memory 8G free 2G; numa 1 cpus 4-7 memory 8G free 6G }
        guest g on k { memory 3G; vcpus 2; cpuset 0-3 }

    Fix: pin the guest to a cell with enough free memory (`cpuset 4-7` here), or give
    it less memory.
    """

    code, name, severity = "VC108", "numa-cell-memory", Severity.WARNING
    facts = ("numa",)
    checklist, section, lines = ("CPU-12",), "§32.8", "5290-5295"
    scope = Scope.HOST

    def host(self, h: Host, guests: list[Guest]):
        cells = _numa_cells(h)
        if h.hypervisor != "kvm" or not cells:
            return
        pinned: dict[int, list[Guest]] = defaultdict(list)
        cell_by_id = {}
        for g in guests:
            if g.cpuset:
                touched = _cells_of(parse_cpus(g.cpuset)[0], cells)
                if len(touched) == 1:
                    cell = touched[0][0]
                    cell_by_id[cell.id] = cell
                    pinned[cell.id].append(g)
        for cid, gs in pinned.items():
            cell = cell_by_id[cid]
            room = cell.free_kib if cell.free_kib is not None else cell.memory_kib
            if room is None:
                continue
            total = sum(g.memory_kib for g in gs)
            if total <= room:
                continue
            g = gs[_crossing(gs, lambda x: x.memory_kib, room)]
            kind = "free" if cell.free_kib is not None else "in total"
            related = [Related(cell.span, f"NUMA cell {cid}: {_size(room)} {kind}")]
            related += _guest_related([x for x in gs if x is not g], lambda x: x.memory_kib, "memory", _size)
            n = len(gs) - 1
            need = f"with {n} other guest{'s' if n > 1 else ''}; together they need" if n else "and needs"
            yield self.report(f"guest {g.name} is pinned to NUMA cell {cid} {need} {_size(total)} "
                              f"but the cell has {_size(room)} {kind}", _span(g, "cpuset"),
                              g.owner, related=related,
                              hint="pin it to a cell with enough free memory (virsh freecell), or lower its memory")


class XenDom0Pinning(Rule):
    """A Xen host with I/O-heavy guests gives domain0 its own CPUs.

    What it checks: a Xen host with a guest whose `role` is io-heavy or database and no
    `dom0 ... pin CPUS`.

    Why: "If you run I/O-intensive work, dedicate a hyper-thread or a whole processor
    core to domain0" (§32.11, line 5443); domain0 does the I/O of every guest, and the
    credit scheduler otherwise moves it among the guests' CPUs. "This is not needed on
    KVM, which uses the standard Linux scheduler" (line 5444).

    Example:
        host x { hypervisor xen; memory 32G; dom0 memory 2G }
        guest db on x { type xen-pv; memory 8G; role database }

    Fix: `dom0 memory 2G vcpus 1 pin 0` (and keep the guests' cpusets off CPU 0).
    """

    code, name, severity = "VC109", "xen-dom0-pinning", Severity.WARNING
    checklist, section, lines = ("CPU-17",), "§32.11", "5440-5444"
    scope = Scope.HOST

    def host(self, h: Host, guests: list[Guest]):
        if h.hypervisor != "xen" or h.dom0_pin:
            return
        heavy = [g for g in guests if set(g.roles) & set(IO_HEAVY_ROLES)]
        if not heavy:
            return
        related = [Related(_span(g, "role"), f"{g.name}: role {' '.join(g.roles)}") for g in heavy[:1]]
        if len(heavy) > 1:
            related.append(Related(_span(heavy[-1], "role"), f"{len(heavy)} I/O-heavy guests in all, "
                                                             f"the last {heavy[-1].name}"))
        dom0 = h.fields.get("dom0") or h.span
        yield self.report(f"host {h.name} runs I/O-heavy guests ({', '.join(g.name for g in heavy[:1])}"
                          f"{' ...' if len(heavy) > 1 else ''}) but dom0 is not pinned to its own CPU",
                          dom0, h.owner, related=related,
                          hint="add `pin 0` (a core or hyper-thread of its own) to the host's dom0 statement")


# -- memory ----------------------------------------------------------------


class XenGuestMemoryLimit(Rule):
    """A Xen guest stays within 16 GiB (x86) or 168 GiB (x86_64 para-virtualized).

    What it checks: the maximum memory (`maxmem`, else `memory`) of a 32-bit (i686) Xen
    guest, para-virtualized or fully virtualized, against 16 GiB, and of an x86_64
    para-virtualized guest against 168 GiB. The guide gives no limit for x86_64 fully
    virtualized guests.

    Why: the Xen limitations list "for x86 guests, a maximum of 16GB memory per guest" for
    both para-virtualized and fully virtualized guests (§5.3, lines 519, 524) and "for
    x86_64 guests, a maximum of 168GB memory per guest" for para-virtualized ones
    (line 520).

    Example:
        guest g on xen1 { type xen-hvm; arch i686 pae; memory 20G }

    Fix: give the guest at most 16G, or install a 64-bit guest.
    """

    code, name, severity = "VM101", "xen-guest-memory-limit", Severity.ERROR
    checklist, section, lines = ("MEM-01", "MEM-02"), "§5.3", "519-520, 524"
    uses = ("xen.guest_memory_x86", "xen.pv_guest_memory_x86_64")

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        if g.arch == "i686":
            limit, kind = self.limit("xen.guest_memory_x86"), "a 32-bit (x86)"
        elif g.arch == "x86_64" and g.type == "xen-pv":
            limit, kind = self.limit("xen.pv_guest_memory_x86_64"), "an x86_64 para-virtualized"
        else:
            return
        top = max(g.memory_kib, g.maxmem_kib)
        if top <= limit.kib:
            return
        key = "maxmem" if g.maxmem_kib > limit.kib and g.fields.get("maxmem") else "memory"
        yield self.report(f"guest {g.name} has {_size(top)} of memory; {kind} Xen guest has at most {limit.shown}",
                          _span(g, key), g.owner, limit=limit,
                          hint=f"use at most {_size(limit.kib)}" + (", or a 64-bit guest" if g.arch == "i686" else ""))


class MemoryBelowMinimum(Rule):
    """A guest has at least 64 MiB of memory.

    What it checks: a guest's memory (at start) below 64 MiB (65536 KiB).

    Why: "values below 64 MB may not work with most guest operating systems" (§25, line
    4243, virsh setmem). Contradiction C-16: the libvirt reference table says `<memory>`
    is in megabytes (lines 4679-4680), but every XML example is in KiB (819200 for 800 MB,
    line 3878; 512000, lines 4110, 4184). virtc reads and writes KiB, so a `<memory>`
    below 65536 in an existing file is most likely megabytes written by mistake, and is
    reported here (MEM-15).

    Example:
        memory 32M

    Fix: give the guest at least 64M (512M for most systems, VM103); in libvirt XML write
    KiB (512 MiB is 524288).
    """

    code, name, severity = "VM102", "memory-below-minimum", Severity.ERROR
    checklist, section, lines = ("MEM-04", "MEM-15"), "§25", "3878, 4110, 4184, 4243, 4679-4680"
    uses = ("guest.memory_minimum",)

    def guest(self, g: Guest):
        limit = self.limit("guest.memory_minimum")
        if g.memory_kib < limit.kib:
            yield self.report(f"guest {g.name} has {_size(g.memory_kib)} ({g.memory_kib} KiB) of memory; below "
                              f"{limit.shown} most guest systems do not work", _span(g, "memory"), g.owner,
                              limit=limit, hint="give it at least 512M; libvirt's <memory> counts KiB, not MB")


class MemoryBelowRecommended(Rule):
    """A guest has at least 512 MiB of memory.

    What it checks: a guest's memory (at start) below 512 MiB (and not below 64 MiB,
    which VM102 reports).

    Why: "most operating systems need at least 512 MB of memory to work effectively"
    (§7.2, line 784); a guest short of memory swaps, which slows it and the host.

    Example:
        memory 256M

    Fix: `memory 512M` or more, as the guest system and its applications need.
    """

    code, name, severity = "VM103", "memory-below-recommended", Severity.WARNING
    checklist, section, lines = ("MEM-03",), "§7.2", "784"
    uses = ("guest.memory_recommended", "guest.memory_minimum")

    def guest(self, g: Guest):
        limit = self.limit("guest.memory_recommended")
        if self.limit("guest.memory_minimum").kib <= g.memory_kib < limit.kib:
            yield self.report(f"guest {g.name} has {_size(g.memory_kib)} of memory; most systems need at least "
                              f"{limit.shown} to work effectively", _span(g, "memory"), g.owner,
                              limit=limit, hint=f"use `memory {_size(limit.kib)}` or more")


class MemoryAboveMaxmem(Rule):
    """A guest's memory at start is no more than its maximum.

    What it checks: `memory` above `maxmem` (xm memory > maxmem; libvirt currentMemory >
    memory).

    Why: for virsh setmem "the new value cannot exceed the amount given when the guest was
    created" (§25, lines 4240-4243); the xm options are memory= and maxmem=, the maximum
    domain memory, both in MB (§31, lines 4718-4719).

    Example:
        memory 4G; maxmem 2G

    Fix: raise maxmem to at least memory, or lower memory.
    """

    code, name, severity = "VM104", "memory-above-maxmem", Severity.ERROR
    checklist, section, lines = ("MEM-05", "MEM-14"), "§25", "4240-4243, 4718-4719"

    def guest(self, g: Guest):
        if g.memory_kib > g.maxmem_kib:
            yield self.report(f"guest {g.name} starts with {_size(g.memory_kib)} but its maximum (maxmem) is "
                              f"{_size(g.maxmem_kib)}", _span(g, "memory"), g.owner,
                              related=[Related(_span(g, "maxmem"), "maxmem set here")] if g.fields.get("maxmem") else (),
                              hint=f"write `maxmem {_size(g.memory_kib)}` or lower memory")


def _tiers():
    """Memory at start (error) and the balloon maximum (warning)."""
    return (("memory", lambda g: g.memory_kib, Severity.ERROR, "memory"),
            ("maxmem", lambda g: g.maxmem_kib, Severity.WARNING, "maximum memory (maxmem)"))


def _dom0_share(h: Host) -> tuple[int, str | None, Span | None]:
    """dom0's memory on a Xen host: dom0_mem, else xend's dom0-min-mem (MiB), else unknown (0)."""
    if h.dom0_memory_kib:
        return h.dom0_memory_kib, "dom0_mem", h.fields.get("dom0_memory")
    for key in ("dom0-min-mem", "min-mem"):
        s = h.setting("xend", key)
        if s and is_number(s.value.strip()) and int(s.value) > 0:
            return int(s.value) * KIB, f"xend {key}", s.span
    return 0, None, None


class XenMemoryOvercommit(Rule):
    """A Xen host's guests and dom0 fit in its RAM: Xen cannot overcommit memory.

    What it checks: on a Xen host that states its `memory`, the memory of all its guests
    plus dom0's share against the host's RAM. dom0's share is `dom0 memory` (dom0_mem);
    without it, xend's `dom0-min-mem` (`xend dom0-min-mem N`, MiB), the least dom0
    balloons down to; when neither is stated dom0's share is unknown and counted as
    nothing, but the guests must then leave some memory free for it (a total equal to
    RAM is reported too). The guests' memory at start is the error; their maximum
    (`maxmem`), which ballooning could take them to, is a warning.

    Why: "Memory overcommitting is not supported for the Xen hypervisor" (§32.4, lines
    5064-5066). A guest that does not fit fails to start with "failed domain creation
    due to memory shortage, unable to balloon domain0": "there is not enough memory
    available or dom0 has not ballooned down enough" (§34.13, lines 5952-5957; §35.5,
    lines 6079-6085). The guide also asks to "make sure you allocate enough memory for
    the host and all guests" (§7.2, line 784; §8.2, line 1046). Every guest declared on
    the host counts, since a paused guest still holds its RAM (§25, lines 4135, 4216).

    Example:
        host x { hypervisor xen; memory 16G; dom0 memory 2G }
        guest g[1..4] on x { type xen-pv; memory 4G }     # 16G + 2G > 16G

    Fix: lower the guests' memory, give dom0 a smaller fixed share (`dom0 memory`), or move
    guests to another host; the related spans list the largest guests.
    """

    code, name, severity = "VM105", "xen-memory-overcommit", Severity.ERROR
    facts = ("memory", "grub")
    checklist, section, lines = ("MEM-06", "MEM-12", "MEM-13", "MEM-16"), "§32.4", "784, 1046, 4135, 4216, 5064-5066, 5952-5957, 6079-6085"
    scope = Scope.HOST

    def host(self, h: Host, guests: list[Guest]):
        xen = [g for g in guests if g.is_xen]
        if h.hypervisor != "xen" or not h.memory_kib or not xen:
            return
        dom0, source, dom0_span = _dom0_share(h)
        room = h.memory_kib - dom0
        unknown = source is None
        for key, amount, sev, what in _tiers():
            total = sum(amount(g) for g in xen)
            if total < room or (total == room and not unknown):
                continue
            g = xen[_crossing(xen, amount, room, inclusive=unknown)]
            dom0_text = f" plus {_size(dom0)} for dom0 ({source})" if source else \
                " and leave nothing for dom0 (its share is not stated)"
            related = _host_related(h, ("memory", f"host {h.name}: {_size(h.memory_kib)} of RAM"))
            if dom0_span:
                related.append(Related(dom0_span, f"dom0: {_size(dom0)}"))
            related += _guest_related(_largest(xen, amount, max(total - room, 1)), amount, key, _size)
            yield self.report(
                f"the guests of Xen host {h.name} need {_size(total)} ({what}){dom0_text}, but the host has "
                f"{_size(h.memory_kib)}; Xen cannot overcommit memory; guest {g.name} is the one that does not fit",
                _span(g, key), g.owner, severity=sev, related=related,
                hint="lower guest memory, fix dom0's share with `dom0 memory`, or move guests to another host")
            return


class KvmMemoryBeyondSwap(Rule):
    """A KVM host's guests fit in its RAM plus swap.

    What it checks: on a KVM host that states `memory` and `swap`, the memory of all its
    guests against RAM + swap. Their memory at start is the error; their maximum
    (`maxmem`), which ballooning could give them, is a warning. With `ksm on` the message
    says so: KSM merges identical pages, and the swap must hold what it cannot.

    Why: "KVM supports memory overcommit and can store the memory of guests in swap"
    (§5.2, line 483; §1, line 410), but "without sufficient memory and swap space the
    system can run completely out of memory" (§32.4, line 5071) and "if swap runs out,
    guest operating systems are forcibly shut down; to avoid this, do not overcommit more
    memory than the swap space holds" (lines 5073-5075). "When KSM is used, make sure
    the swap size is equivalent to the size of the overcommit ratio" (line 483): the
    memory committed beyond RAM must fit in swap, which is the same bound. Each guest also
    uses "slightly more physical memory" than its RAM (line 5069) and every declared guest
    counts, paused ones too (§25, lines 4135, 4216), so the bound has no slack.

    Example:
        host k { hypervisor kvm; cpu intel cores 8; memory 16G; swap 4G }
        guest g[1..6] on k { memory 4G }     # 24G > 16G + 4G

    Fix: add swap, lower the guests' memory or move guests to another host.
    """

    code, name, severity = "VM106", "kvm-memory-beyond-swap", Severity.ERROR
    facts = ("memory",)
    checklist, section, lines = ("MEM-07", "MEM-08", "MEM-10", "MEM-16", "MEM-17"), "§32.4", "410, 483, 5069-5075"
    scope = Scope.HOST

    def host(self, h: Host, guests: list[Guest]):
        kvm = [g for g in guests if g.type == "kvm"]
        if h.hypervisor != "kvm" or not h.memory_kib or h.swap_kib is None or not kvm:
            return
        room = h.memory_kib + h.swap_kib
        for key, amount, sev, what in _tiers():
            total = sum(amount(g) for g in kvm)
            if total <= room:
                continue
            g = kvm[_crossing(kvm, amount, room)]
            related = _host_related(h, ("memory", f"RAM: {_size(h.memory_kib)}"), ("swap", f"swap: {_size(h.swap_kib)}"))
            if h.ksm:
                related += _host_related(h, ("ksm", "KSM is on: swap must cover the overcommitted memory"))
            related += _guest_related(_largest(kvm, amount, total - room), amount, key, _size)
            ksm = " (with KSM on, swap must hold all memory committed beyond RAM)" if h.ksm else ""
            yield self.report(
                f"the guests of KVM host {h.name} need {_size(total)} ({what}) but RAM + swap is "
                f"{_size(h.memory_kib)} + {_size(h.swap_kib)}{ksm}; guest {g.name} is the one that does not fit",
                _span(g, key), g.owner, severity=sev, related=related,
                hint=f"add at least {_size(total - room)} of swap, or lower guest memory, or move guests")
            return


class KvmSwapSize(Rule):
    """A KVM host that overcommits memory has the recommended swap.

    What it checks: on a KVM host whose guests' memory (at start) adds up to more than
    its RAM, the host's `swap` against (0.5 x RAM) + (overcommit ratio x RAM), where the
    overcommit ratio is the guests' memory beyond RAM as a share of RAM. (A total beyond
    RAM + swap is VM106's error.)

    Why: "If you plan to use KVM overcommit, enlarge the swap partition. [...] The
    formula is: (0.5 * RAM) + (overcommit ratio * RAM) = Recommended swap size" (§32.4,
    lines 5076-5077). The 0.5 x RAM part is the host's own share; it keeps memory for the
    host when every guest is at its full size ("allocate enough memory for the host and
    all guests", line 784).

    Example:
        host k { hypervisor kvm; memory 16G; swap 6G }
        guest g[1..5] on k { memory 4G }     # ratio 0.25: recommended 8G + 4G = 12G

    Fix: make the swap at least the recommended size (the message gives it).
    """

    code, name, severity = "VM107", "kvm-swap-size", Severity.WARNING
    facts = ("memory",)
    checklist, section, lines = ("MEM-09",), "§32.4", "5076-5077"
    scope = Scope.HOST
    uses = ("kvm.swap_host_share",)

    def host(self, h: Host, guests: list[Guest]):
        kvm = [g for g in guests if g.type == "kvm"]
        if h.hypervisor != "kvm" or not h.memory_kib or h.swap_kib is None or not kvm:
            return
        ram, swap = h.memory_kib, h.swap_kib
        total = sum(g.memory_kib for g in kvm)
        if total <= ram or total > ram + swap:
            return
        share = self.limit("kvm.swap_host_share")
        ratio = (total - ram) / ram
        wanted = share.value * ram + ratio * ram
        if swap >= wanted:
            return
        related = _host_related(h, ("memory", f"RAM: {_size(ram)}"))
        related += _guest_related(_largest(kvm, lambda x: x.memory_kib, total - ram), lambda x: x.memory_kib,
                                  "memory", _size)
        want = _size(-(-int(wanted) // KIB) * KIB)
        yield self.report(
            f"KVM host {h.name} commits {_size(total)} of guest memory to {_size(ram)} of RAM (overcommit ratio "
            f"{ratio:.2f}); the recommended swap is {share.value} x RAM + {ratio:.2f} x RAM = {want}, it has "
            f"{_size(swap)}", _span(h, "swap"), h.owner, limit=share, related=related,
            hint=f"`swap {want}`")


class KvmOvercommitRatio(Rule):
    """A KVM host's memory overcommit stays within the recommended ratio.

    What it checks: the memory of all guests of a KVM host (at start) against its RAM.
    Guest memory beyond 1.5 x RAM (an overcommit ratio above the recommended 0.5) is a
    warning; beyond 10 x RAM, more than the guide says is possible at all, an error.

    Why: "The recommended overcommit ratio is 50% (0.5)" (§32.4, line 5076). "An
    overcommit ten times the physical memory is possible, but only for specific
    workloads (e.g. desktop virtualization below 100% use). There is no formula for the
    ratio: test it in your environment" (line 5080). The error threshold is derived: the
    guide states no workload beyond ten times RAM.

    Example:
        host k { hypervisor kvm; memory 8G; swap 64G }
        guest g[1..14] on k { memory 1G }     # 14G on 8G of RAM: ratio 0.75

    Fix: spread the guests over more hosts or lower their memory; load-test any ratio
    above 0.5 before production.
    """

    code, name, severity = "VM108", "kvm-overcommit-ratio", Severity.WARNING
    facts = ("memory",)
    checklist, section, lines = ("MEM-11",), "§32.4", "5076, 5080"
    scope = Scope.HOST
    uses = ("kvm.memory_overcommit_ratio_recommended", "kvm.memory_overcommit_max")

    def host(self, h: Host, guests: list[Guest]):
        kvm = [g for g in guests if g.type == "kvm"]
        if h.hypervisor != "kvm" or not h.memory_kib or not kvm:
            return
        ram = h.memory_kib
        total = sum(g.memory_kib for g in kvm)
        top, rec = self.limit("kvm.memory_overcommit_max"), self.limit("kvm.memory_overcommit_ratio_recommended")
        if total > top.value * ram:
            limit, allowed, sev = top, top.value * ram, Severity.ERROR
            text = f"more than the {top.value} x RAM the guide calls possible for specific workloads"
        elif total > (1 + rec.value) * ram:
            limit, allowed, sev = rec, (1 + rec.value) * ram, Severity.WARNING
            text = f"above the recommended overcommit ratio of {rec.value}"
        else:
            return
        g = kvm[_crossing(kvm, lambda x: x.memory_kib, allowed)]
        related = _host_related(h, ("memory", f"RAM: {_size(ram)}"))
        related += _guest_related(_largest(kvm, lambda x: x.memory_kib, total - allowed), lambda x: x.memory_kib,
                                  "memory", _size)
        yield self.report(
            f"the guests of KVM host {h.name} have {_size(total)} of memory on {_size(ram)} of RAM "
            f"({total / ram:.1f} x RAM, overcommit ratio {(total - ram) / ram:.2f}), {text}; guest {g.name} takes it over",
            _span(g, "memory"), g.owner, severity=sev, limit=limit, related=related,
            hint="spread the guests over more hosts, or load-test this ratio before production")
