"""vCPUs and CPUs: vCPUs per core and CPU overcommit on KVM, a guest's vCPUs against the
host's cores and logical CPUs and its own maximum, CPU lists, dom0's own CPUs on Xen
hosts with I/O-heavy guests."""
from __future__ import annotations

from ...diagnostics import Related, Severity
from ...model import Guest, Host
from ...owner import Owner
from ...source import Span
from ..base import Rule, Scope
from .common import crossing, guest_related, host_related, largest_beyond, parse_cpus, span_of

# Guest roles whose I/O load makes a dedicated CPU for Xen's domain0 worthwhile (CPU-17).
IO_HEAVY_ROLES = ("io-heavy", "database")


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
    when = ("guests",)
    hypervisors = ("kvm",)
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
            g = kvm[crossing(kvm, lambda x: x.vcpus, allowed)]
            what = "at most" if sev is Severity.ERROR else "a safe ratio of"
            related = host_related(h, ("cpu", f"host {h.name}: {cores} physical cores"))
            related += guest_related(largest_beyond(kvm, lambda x: x.vcpus, total - allowed), lambda x: x.vcpus,
                                      "vcpus", lambda n: f"{n} vCPUs")
            yield self.report(
                f"host {h.name} runs {total} vCPUs on {cores} physical cores ({total / cores:.1f} per core); "
                f"KVM supports {what} {limit.value} per core; guest {g.name} takes it over",
                span_of(g, "vcpus"), g.owner, severity=sev, limit=limit, related=related,
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
    when = ("guests",)
    hypervisors = ("kvm",)
    uses = ("kvm.vcpus_per_core_safe",)

    def host(self, h: Host, guests: list[Guest]):
        cores = h.cpu.cores
        kvm = [g for g in guests if g.type == "kvm"]
        if h.hypervisor != "kvm" or not cores or not kvm:
            return
        total = sum(g.vcpus for g in kvm)
        if not cores < total <= self.limit("kvm.vcpus_per_core_safe").value * cores:
            return
        g = kvm[crossing(kvm, lambda x: x.vcpus, cores)]
        related = host_related(h, ("cpu", f"host {h.name}: {cores} physical cores"))
        related += guest_related(largest_beyond(kvm, lambda x: x.vcpus, total - cores), lambda x: x.vcpus,
                                  "vcpus", lambda n: f"{n} vCPUs")
        yield self.report(
            f"host {h.name} overcommits its CPUs: {total} vCPUs on {cores} physical cores "
            f"({total / cores:.1f} per core); guest {g.name} is the first beyond the cores",
            span_of(g, "vcpus"), g.owner, related=related,
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
    guest_types = ("kvm",)
    facts = ("cpu",)
    checklist, section, lines = ("CPU-04", "CPU-06"), "§32.4", "5084-5085"

    def guest(self, g: Guest):
        cores = self.ctx.host_of(g).cpu.cores
        if g.type != "kvm" or not cores or _vcpu_need(g) <= cores:
            return
        if g.vcpus > cores:
            yield self.report(f"guest {g.name} has {g.vcpus} vCPUs but host {g.host} has {cores} physical cores",
                              span_of(g, "vcpus"), g.owner,
                              related=host_related(self.ctx.host_of(g), ("cpu", "the host's cores")),
                              hint=f"use at most `vcpus {cores}`, or split the work over several guests")
        else:
            yield self.report(f"guest {g.name} may be raised to {g.max_vcpus} vCPUs but host {g.host} has "
                              f"{cores} physical cores", span_of(g, "vcpus"), g.owner,
                              severity=Severity.WARNING,
                              related=host_related(self.ctx.host_of(g), ("cpu", "the host's cores")),
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
                          f"{g.host} has {threads} logical CPUs", span_of(g, "vcpus"), g.owner,
                          related=host_related(h, ("cpu", "the host's logical CPUs")),
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
                              span_of(g, "vcpus"), g.owner, hint=f"write `vcpus {g.vcpus} max {g.vcpus}`")


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
    when = ("dom0_pin", "guests")

    def host(self, h: Host, guests: list[Guest]):
        if h.dom0_pin:
            yield from self.check(h, h.dom0_pin, f"dom0 of host {h.name}", span_of(h, "dom0_pin"), h.owner)
        for g in guests:
            if g.cpuset:
                yield from self.check(h, g.cpuset, f"guest {g.name}", span_of(g, "cpuset"), g.owner)

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
                              related=host_related(h, ("cpu", "the host's logical CPUs")),
                              hint=f"use CPUs 0-{threads - 1}")


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
    when = ("guests",)
    hypervisors = ("xen",)

    def host(self, h: Host, guests: list[Guest]):
        if h.hypervisor != "xen" or h.dom0_pin:
            return
        heavy = [g for g in guests if set(g.roles) & set(IO_HEAVY_ROLES)]
        if not heavy:
            return
        related = [Related(span_of(g, "role"), f"{g.name}: role {' '.join(g.roles)}") for g in heavy[:1]]
        if len(heavy) > 1:
            related.append(Related(span_of(heavy[-1], "role"), f"{len(heavy)} I/O-heavy guests in all, "
                                                             f"the last {heavy[-1].name}"))
        dom0 = h.fields.get("dom0") or h.span
        yield self.report(f"host {h.name} runs I/O-heavy guests ({', '.join(g.name for g in heavy[:1])}"
                          f"{' ...' if len(heavy) > 1 else ''}) but dom0 is not pinned to its own CPU",
                          dom0, h.owner, related=related,
                          hint="add `pin 0` (a core or hyper-thread of its own) to the host's dom0 statement")
