"""NUMA: a KVM guest stays within one cell, and the guests pinned to a cell fit in its
free memory."""
from __future__ import annotations

from collections import defaultdict

from ...diagnostics import Related, Severity
from ...model import Guest, Host
from ..base import Rule, Scope
from .common import Intervals, crossing, guest_related, parse_cpus, size_text, span_of


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
    when = ("numa",)
    hypervisors = ("kvm",)

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
                                  "part of its memory is remote", span_of(g, "cpuset"), g.owner,
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
                                  span_of(g, "vcpus"), g.owner, related=related,
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
    when = ("numa",)
    hypervisors = ("kvm",)

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
            g = gs[crossing(gs, lambda x: x.memory_kib, room)]
            kind = "free" if cell.free_kib is not None else "in total"
            related = [Related(cell.span, f"NUMA cell {cid}: {size_text(room)} {kind}")]
            related += guest_related([x for x in gs if x is not g], lambda x: x.memory_kib, "memory", size_text)
            n = len(gs) - 1
            need = f"with {n} other guest{'s' if n > 1 else ''}; together they need" if n else "and needs"
            yield self.report(f"guest {g.name} is pinned to NUMA cell {cid} {need} {size_text(total)} "
                              f"but the cell has {size_text(room)} {kind}", span_of(g, "cpuset"),
                              g.owner, related=related,
                              hint="pin it to a cell with enough free memory (virsh freecell), or lower its memory")
