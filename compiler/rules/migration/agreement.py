"""Host agreement: the hosts of a migration group run the same release, hypervisor and
CPU vendor, with NX alike; Xen migration needs RHEL 5.1, Itanium does not migrate,
libvirtd runs on every destination."""
from __future__ import annotations

from collections import Counter

from ...diagnostics import Related, Severity
from ...numbers import version
from ..base import Rule, Scope
from .common import anchor, differing, field_span, group_list, group_members


def _release(text: str) -> tuple[int, ...]:
    return version(text) or ()  # not numbers: compares below every release


class MigrationReleaseMismatch(Rule):
    """Hosts that migrate guests between them run the same RHEL update level.

    What it checks: the `release` of every host of a migration group (a host, its
    `migration peers`, and theirs). Hosts that differ from the group's most common
    release are reported, with the other host's `release` as a related span.

    Why: migration needs "two (or more) systems with the same version and the same update
    of Red Hat Enterprise Linux" (§21.1, line 3429); the destination "must run the same
    version of Red Hat Enterprise Linux" (§21.3, line 3470; §25, lines 4255-4256).

    Example:
        host kvm1 { hypervisor kvm; release 5.8; migration peers kvm2 }
        host kvm2 { hypervisor kvm; release 5.4 }

    Fix: update the hosts to the same release before enabling migration between them.
    """

    code, name, severity = "VL101", "migration-release-mismatch", Severity.ERROR
    facts = ("release",)
    checklist, section, lines = ("MIG-05",), "§21.1", "3429, 3470, 4255-4256"
    scope = Scope.FLEET

    def fleet(self):
        for group in group_list(self.ctx):
            for h, v, ref, rv in differing(group, lambda x: x.release):
                yield self.report(f"host {h.name} runs RHEL {v} but its migration peer {ref.name} runs "
                                  f"{rv}; migrating hosts run the same update level",
                                  field_span(h, "release"), h.owner,
                                  related=(Related(field_span(ref, "release"), f"{ref.name}: release {rv}"),),
                                  hint=f"update host {h.name} to RHEL {rv} (or all hosts of the group to one release)")


class MigrationHypervisorMismatch(Rule):
    """Hosts that migrate guests between them run the same hypervisor, in the same version.

    What it checks: the `hypervisor` of every host of a migration group (an error when
    they differ), and the host `kernel` version, which carries the hypervisor (kernel-xen
    or the kvm module), when it is stated on several hosts (a warning when it differs).

    Why: the destination needs "the same version of the hypervisor (KVM or Xen)" (§25,
    line 4257; §21.3, line 3470). A different hypervisor cannot take the guest at all; a
    different kernel errata level is a different hypervisor version, which the guide
    also excludes, but within one update level (VL101) it is the softer case, hence the
    warning.

    Example:
        host a { hypervisor xen; migration peers b }
        host b { hypervisor kvm }

    Fix: migrate only between hosts running the same hypervisor and kernel; split the
    peers into one group per hypervisor.
    """

    code, name, severity = "VL102", "migration-hypervisor-mismatch", Severity.ERROR
    checklist, section, lines = ("MIG-06",), "§25", "3470, 4257"
    scope = Scope.FLEET

    def fleet(self):
        for group in group_list(self.ctx):
            for h, v, ref, rv in differing(group, lambda x: x.hypervisor):
                yield self.report(f"host {h.name} runs {v} but its migration peer {ref.name} runs {rv}; "
                                  "a guest migrates only to the same hypervisor", field_span(h, "hypervisor"),
                                  h.owner,
                                  related=(Related(field_span(ref, "hypervisor"), f"{ref.name}: hypervisor {rv}"),),
                                  hint=f"remove {h.name} from the migration peers of {ref.name}")
            hyper = Counter(x.hypervisor for x in group).most_common(1)[0][0]
            same = [x for x in group if x.hypervisor == hyper]
            for h, v, ref, rv in differing(same, lambda x: x.kernel):
                yield self.report(f"host {h.name} runs kernel {v} but its migration peer {ref.name} runs "
                                  f"{rv}; the hypervisor version should be the same",
                                  field_span(h, "kernel"), h.owner, severity=Severity.WARNING,
                                  related=(Related(field_span(ref, "kernel"), f"{ref.name}: kernel {rv}"),),
                                  hint=f"install kernel {rv} on host {h.name}")


class MigrationCpuVendorMismatch(Rule):
    """KVM live migration only works between processors of the same vendor.

    What it checks: the CPU vendor (`cpu intel|amd`) of the KVM hosts of a migration
    group, where stated.

    Why: "Live migration is only possible between processors of the same vendor (that is,
    Intel to Intel, AMD to AMD)" (§5.2, KVM limitations, lines 498-499).

    Example:
        host kvm1 { hypervisor kvm; cpu intel; migration peers kvm2 }
        host kvm2 { hypervisor kvm; cpu amd }

    Fix: keep Intel and AMD hosts in separate migration groups.
    """

    code, name, severity = "VL103", "migration-cpu-vendor-mismatch", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("MIG-11",), "§5.2", "498-499"
    scope = Scope.FLEET

    def fleet(self):
        for group in group_list(self.ctx):
            kvm = [h for h in group if h.hypervisor == "kvm"]
            for h, v, ref, rv in differing(kvm, lambda x: x.cpu.vendor):
                yield self.report(f"KVM host {h.name} has an {v} CPU but its migration peer {ref.name} has "
                                  f"{rv}; live migration needs the same CPU vendor", field_span(h, "cpu"),
                                  h.owner, related=(Related(field_span(ref, "cpu"), f"{ref.name}: {rv}"),),
                                  hint="migrate only between hosts of one CPU vendor")


class MigrationNxMismatch(Rule):
    """The NX bit is on (or off) on every KVM host of a migration group.

    What it checks: the `nx` flag in `cpu ... flags` of the KVM hosts of a migration group
    that list their CPU flags (a host without `flags` is not judged).

    Why: "For live migration, the NX (No eXecute) bit of both processors must be set the
    same way, both on or both off" (§5.2, line 500). A guest that started with NX cannot
    continue on a CPU without it.

    Example:
        host kvm1 { hypervisor kvm; cpu intel flags vmx nx; migration peers kvm2 }
        host kvm2 { hypervisor kvm; cpu intel flags vmx }

    Fix: enable NX / Execute Disable in the BIOS of every host of the group (or disable it
    on all of them).
    """

    code, name, severity = "VL104", "migration-nx-mismatch", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("MIG-12",), "§5.2", "500"
    scope = Scope.FLEET

    def fleet(self):
        for group in group_list(self.ctx):
            kvm = [h for h in group if h.hypervisor == "kvm"]
            for h, v, ref, rv in differing(kvm, lambda x: ("nx" in x.cpu.flags) if x.cpu.flags else None):
                yield self.report(f"KVM host {h.name} has the NX bit {'on' if v else 'off'}, its migration "
                                  f"peer {ref.name} has it {'on' if rv else 'off'}; both must match",
                                  field_span(h, "cpu"), h.owner,
                                  related=(Related(field_span(ref, "cpu"), f"{ref.name}: NX {'on' if rv else 'off'}"),),
                                  hint="set the NX (Execute Disable) BIOS option the same way on every host of the group")


class XenMigrationRelease(Rule):
    """Xen migration needs RHEL 5.1 or newer.

    What it checks: the `release` of Xen hosts that take part in migration (a `migration`
    statement, or named as a peer).

    Why: "Migration is only supported on Red Hat Enterprise Linux 5.1 and newer systems"
    (§20, line 3082).

    Example:
        host xen0 { hypervisor xen; release 5.0; migration peers xen1 }

    Fix: update the host to 5.1 or later (the current update level is best, VL101).
    """

    code, name, severity = "VL105", "xen-migration-release", Severity.ERROR
    facts = ("release",)
    checklist, section, lines = ("MIG-13",), "§20", "3082"
    scope = Scope.FLEET
    uses = ("migration.xen_min_release",)

    def fleet(self):
        limit = self.limit("migration.xen_min_release")
        for h in group_members(self.ctx):
            if h.hypervisor == "xen" and h.release and _release(h.release) < _release(limit.value):
                yield self.report(f"Xen host {h.name} takes part in migration on RHEL {h.release}; Xen "
                                  f"migration needs {limit.value} or newer", field_span(h, "release"),
                                  h.owner, limit=limit, related=(Related(anchor(h), "migration set up here"),),
                                  hint=f"update host {h.name} to RHEL {limit.value} or later")


class MigrationItanium(Rule):
    """Migration is not supported on Itanium.

    What it checks: a host with `arch ia64` that has a `migration` statement or is named
    as a peer.

    Why: "Migration is not yet supported on the Itanium® architecture" (§20, lines
    3089-3091).

    Example:
        host ia1 { hypervisor xen; arch ia64; migration peers ia2 }

    Fix: remove the migration setup from Itanium hosts; move guests by shutting them down
    and starting them elsewhere.
    """

    code, name, severity = "VL106", "migration-itanium", Severity.ERROR
    checklist, section, lines = ("MIG-14",), "§20", "3089-3091"
    scope = Scope.FLEET

    def fleet(self):
        for h in group_members(self.ctx):
            if h.arch == "ia64":
                yield self.report(f"host {h.name} is an Itanium (ia64) host in a migration group; migration "
                                  "is not supported on Itanium", field_span(h, "arch"), h.owner,
                                  related=(Related(anchor(h), "migration set up here"),),
                                  hint=f"remove host {h.name} from the migration peers")


class MigrationLibvirtdOff(Rule):
    """libvirtd runs on every host guests migrate to.

    What it checks: a host of a migration group that turns libvirtd off
    (`services off libvirtd`).

    Why: the destination of `virsh migrate` needs the same release, the same hypervisor,
    "and the libvirt service must be running" (§25, line 4258; §21.3, line 3470).

    Example:
        host kvm2 { hypervisor kvm; services off libvirtd }     # a peer of kvm1

    Fix: `services on libvirtd` on every host of the group.
    """

    code, name, severity = "VL107", "migration-libvirtd-off", Severity.ERROR
    checklist, section, lines = ("MIG-07",), "§25", "3470, 4258"
    scope = Scope.FLEET

    def fleet(self):
        for h in group_members(self.ctx):
            if "libvirtd" in h.services_off:
                yield self.report(f"host {h.name} takes part in migration but turns libvirtd off; the "
                                  "destination of a migration must run libvirtd", field_span(h, "services"),
                                  h.owner, related=(Related(anchor(h), "migration set up here"),),
                                  hint=f"`services on libvirtd` on host {h.name}")
