"""Memory: Xen's limits per guest, the minimum and recommended sizes, memory against
maxmem, and what a host holds: Xen cannot overcommit, KVM overcommits into swap within
a ratio."""
from __future__ import annotations

from ... import kernels
from ...diagnostics import Related, Severity
from ...model import Guest, Host
from ...source import Span
from ...units import KIB
from ...values import is_number
from ..base import Rule, Scope
from .common import crossing, guest_related, host_related, largest_beyond, size_text, span_of


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
    guest_types = ("xen-pv", "xen-hvm")
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
        yield self.report(f"guest {g.name} has {size_text(top)} of memory; {kind} Xen guest has at most {limit.shown}",
                          span_of(g, key), g.owner, limit=limit,
                          hint=f"use at most {size_text(limit.kib)}" + (", or a 64-bit guest" if g.arch == "i686" else ""))


class MemoryBelowMinimum(Rule):
    """A guest has at least 64 MiB of memory.

    What it checks: a guest's memory (at start) below 64 MiB (65536 KiB), except a PV
    guest whose kernel is not Linux by its name (Xen's Mini-OS example runs in 32 MiB).

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
        if g.type == "xen-pv" and g.boot.kernel and not kernels.is_linux_image(g.boot.kernel):
            return  # a PV kernel that is not Linux (Mini-OS runs in 32 MiB) knows its own needs
        if g.memory_kib < limit.kib:
            yield self.report(f"guest {g.name} has {size_text(g.memory_kib)} ({g.memory_kib} KiB) of memory; below "
                              f"{limit.shown} most guest systems do not work", span_of(g, "memory"), g.owner,
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
            yield self.report(f"guest {g.name} has {size_text(g.memory_kib)} of memory; most systems need at least "
                              f"{limit.shown} to work effectively", span_of(g, "memory"), g.owner,
                              limit=limit, hint=f"use `memory {size_text(limit.kib)}` or more")


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
            yield self.report(f"guest {g.name} starts with {size_text(g.memory_kib)} but its maximum (maxmem) is "
                              f"{size_text(g.maxmem_kib)}", span_of(g, "memory"), g.owner,
                              related=[Related(span_of(g, "maxmem"), "maxmem set here")] if g.fields.get("maxmem") else (),
                              hint=f"write `maxmem {size_text(g.memory_kib)}` or lower memory")


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
    when = ("guests",)
    hypervisors = ("xen",)

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
            g = xen[crossing(xen, amount, room, inclusive=unknown)]
            dom0_text = f" plus {size_text(dom0)} for dom0 ({source})" if source else \
                " and leave nothing for dom0 (its share is not stated)"
            related = host_related(h, ("memory", f"host {h.name}: {size_text(h.memory_kib)} of RAM"))
            if dom0_span:
                related.append(Related(dom0_span, f"dom0: {size_text(dom0)}"))
            related += guest_related(largest_beyond(xen, amount, max(total - room, 1)), amount, key, size_text)
            yield self.report(
                f"the guests of Xen host {h.name} need {size_text(total)} ({what}){dom0_text}, but the host has "
                f"{size_text(h.memory_kib)}; Xen cannot overcommit memory; guest {g.name} is the one that does not fit",
                span_of(g, key), g.owner, severity=sev, related=related,
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
    when = ("guests",)
    hypervisors = ("kvm",)

    def host(self, h: Host, guests: list[Guest]):
        kvm = [g for g in guests if g.type == "kvm"]
        if h.hypervisor != "kvm" or not h.memory_kib or h.swap_kib is None or not kvm:
            return
        room = h.memory_kib + h.swap_kib
        for key, amount, sev, what in _tiers():
            total = sum(amount(g) for g in kvm)
            if total <= room:
                continue
            g = kvm[crossing(kvm, amount, room)]
            related = host_related(h, ("memory", f"RAM: {size_text(h.memory_kib)}"), ("swap", f"swap: {size_text(h.swap_kib)}"))
            if h.ksm:
                related += host_related(h, ("ksm", "KSM is on: swap must cover the overcommitted memory"))
            related += guest_related(largest_beyond(kvm, amount, total - room), amount, key, size_text)
            ksm = " (with KSM on, swap must hold all memory committed beyond RAM)" if h.ksm else ""
            yield self.report(
                f"the guests of KVM host {h.name} need {size_text(total)} ({what}) but RAM + swap is "
                f"{size_text(h.memory_kib)} + {size_text(h.swap_kib)}{ksm}; guest {g.name} is the one that does not fit",
                span_of(g, key), g.owner, severity=sev, related=related,
                hint=f"add at least {size_text(total - room)} of swap, or lower guest memory, or move guests")
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
    when = ("guests",)
    hypervisors = ("kvm",)
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
        related = host_related(h, ("memory", f"RAM: {size_text(ram)}"))
        related += guest_related(largest_beyond(kvm, lambda x: x.memory_kib, total - ram), lambda x: x.memory_kib,
                                  "memory", size_text)
        want = size_text(-(-int(wanted) // KIB) * KIB)
        yield self.report(
            f"KVM host {h.name} commits {size_text(total)} of guest memory to {size_text(ram)} of RAM (overcommit ratio "
            f"{ratio:.2f}); the recommended swap is {share.value} x RAM + {ratio:.2f} x RAM = {want}, it has "
            f"{size_text(swap)}", span_of(h, "swap"), h.owner, limit=share, related=related,
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
    when = ("guests",)
    hypervisors = ("kvm",)
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
        g = kvm[crossing(kvm, lambda x: x.memory_kib, allowed)]
        related = host_related(h, ("memory", f"RAM: {size_text(ram)}"))
        related += guest_related(largest_beyond(kvm, lambda x: x.memory_kib, total - allowed), lambda x: x.memory_kib,
                                  "memory", size_text)
        yield self.report(
            f"the guests of KVM host {h.name} have {size_text(total)} of memory on {size_text(ram)} of RAM "
            f"({total / ram:.1f} x RAM, overcommit ratio {(total - ram) / ram:.2f}), {text}; guest {g.name} takes it over",
            span_of(g, "memory"), g.owner, severity=sev, limit=limit, related=related,
            hint="spread the guests over more hosts, or load-test this ratio before production")
