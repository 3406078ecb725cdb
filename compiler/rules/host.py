"""Host platform rules (checklist areas HOST, MISC): CPU features, releases, packages, names."""
from __future__ import annotations

import re

from ..diagnostics import Related, Severity
from ..model import Guest, Host
from ..bounds import bound
from ..numbers import digits_or_cap
from ..units import KIB, UNITS
from .base import Rule, Scope

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {
    "HOST-11": "operational: an installation number and an RHN Virtualization entitlement are needed to "
               "install and update the packages",
    "HOST-14": "operational: check with lsmod that kvm and kvm_intel or kvm_amd are loaded after booting the "
               "standard kernel",
    "MISC-04": "operational: hot-adding devices from an XML fragment with virsh attach-device",
    "MISC-05": "operational: serving installation trees with vsftpd (VE110 keeps the FTP service when a guest "
               "installs from the host)",
    "MISC-06": "operational: changing the install ISO with virsh update-device when the installer asks for the "
               "next CD",
    "MISC-08": "operational: setting up a VNC server session (~/.vnc/xstartup, vncserver password)",
}


def release_key(text: str) -> tuple[int, ...]:
    # a component past any real release compares as the cap (a 5,000-digit "5.999..." from a
    # broken redhat-release must not reach int())
    return tuple(digits_or_cap(x, bound("count")) for x in text.split("."))


def host_release(rule: Rule, h: Host) -> str:
    """The host's release, or the release the guide describes when it does not say (MISC-07)."""
    return h.release or rule.limit("misc.default_release").value


def guest_hypervisor(g: Guest) -> str:
    return "xen" if g.is_xen else "kvm"


def _type_span(g: Guest):
    return own_span(g, "type")


def own_span(g: Guest, key: str):
    """Where guest g sets key: the statement if it is in g's own declaration, else the declaration
    (a value inherited from a template is shared by every guest made from it)."""
    f = g.fields.get(key)
    if f is not None and f.file == g.span.file and \
            (g.span.line, g.span.col) <= (f.line, f.col) <= (g.span.end_line, g.span.end_col):
        return f
    return g.span


def _has_extensions(rule: Rule, h: Host) -> bool:
    return any(f in h.cpu.flags for f in rule.limit("host.virt_extensions").value)


class HostEdition(Rule):
    """Virtualization is for RHEL 5 Server.

    What it checks: a host whose `edition` is not server (client, desktop, workstation).

    Why: "Virtualization is available for Red Hat Enterprise Linux 5 Server" (§1, line
    401).

    Example:
        edition client

    Fix: install RHEL 5 Server (Advanced Platform for many guests) on the host.
    """

    code, name, severity = "VH101", "host-edition", Severity.WARNING
    checklist, section, lines = ("HOST-01",), "§1", "401"
    scope = Scope.HOST
    when = ("edition",)

    def host(self, h, guests):
        if h.edition and h.edition != "server":
            yield self.report(f"host {h.name} runs RHEL 5 {h.edition.capitalize()}; virtualization is "
                              "available for RHEL 5 Server", h.fields.get("edition") or h.span, h.owner,
                              hint="use RHEL 5 Server on virtualization hosts")


class HostMinimumResources(Rule):
    """A host has at least 2 GB of RAM and 6 GB of free disk space.

    What it checks: the host's `memory` and `free-disk`, when stated.

    Why: the basic system requirements are "6GB of free disk space" and "2GB of RAM"
    (§1, lines 404-406).

    Example:
        memory 1G; free-disk 4G

    Fix: a host with at least 2 GiB of RAM and 6 GiB free disk.
    """

    code, name, severity = "VH102", "host-minimum-resources", Severity.ERROR
    facts = ("memory",)
    checklist, section, lines = ("HOST-02",), "§1", "404-406"
    scope = Scope.HOST
    when = ("memory_kib", "free_disk_kib")
    uses = ("host.min_memory", "host.min_free_disk")

    def host(self, h, guests):
        mem = self.limit("host.min_memory")
        disk = self.limit("host.min_free_disk")
        if h.memory_kib is not None and h.memory_kib < mem.kib:
            yield self.report(f"host {h.name} has {_gib(h.memory_kib)} of RAM; a virtualization host needs at "
                              f"least {mem.shown}", h.fields.get("memory") or h.span, h.owner, limit=mem)
        if h.free_disk_kib is not None and h.free_disk_kib < disk.kib:
            yield self.report(f"host {h.name} has {_gib(h.free_disk_kib)} of free disk; a virtualization host "
                              f"needs at least {disk.shown}", h.fields.get("free-disk") or h.span, h.owner,
                              limit=disk)


def _gib(kib: int) -> str:
    return f"{kib * KIB / UNITS['G']:g} GiB"


class HvmNeedsVt(Rule):
    """Fully virtualized Xen guests need a CPU with Intel VT or AMD-V (or Itanium).

    What it checks: Xen HVM guests on an x86 Xen host whose `cpu flags` are stated and
    contain neither vmx nor svm.

    Why: "Full virtualization with the Xen hypervisor requires: an Intel processor with
    the Intel VT extensions, or an AMD processor with the AMD-V extensions, or an Intel
    Itanium processor" (§1, lines 413-417); virt-manager greys out full virtualization
    without them (§7.2, line 728). "If your hardware does not have the virtualization
    extensions, you can use Xen para-virtualization with the Red Hat kernel-xen package"
    (§32.6, lines 5131-5133).

    The flags may be present but turned off in the BIOS (lines 5148-5150, §35.12). The
    guide says AMD-V cannot be disabled in the BIOS (line 6166) and then tells how to
    enable it there (line 6180, contradiction C-23); either way, check the BIOS when the
    flag is missing from /proc/cpuinfo.

    Example:
        host x { hypervisor xen; cpu intel flags pae nx }
        guest w on x { type xen-hvm ... }

    Fix: run the guest para-virtualized (type xen-pv), or move it to a host with VT/AMD-V
    (enabled in the BIOS) and add the flag.
    """

    code, name, severity = "VH103", "hvm-needs-vt", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("HOST-03", "HOST-07", "HOST-08"), "§1", "413-417, 728, 5131-5133, 6166, 6180"
    scope = Scope.HOST
    when = ("guests",)
    hypervisors = ("xen",)
    uses = ("host.virt_extensions",)

    def host(self, h, guests):
        if h.hypervisor != "xen" or h.arch == "ia64" or not h.cpu.flags or _has_extensions(self, h):
            return
        ext = self.limit("host.virt_extensions")
        cpu = h.fields.get("cpu")
        for g in guests:
            if g.type == "xen-hvm":
                yield self.report(f"guest {g.name} is fully virtualized, but host {h.name}'s CPU has neither "
                                  f"{' nor '.join(ext.value)}; only para-virtualized guests can run there",
                                  _type_span(g), g.owner, limit=ext,
                                  related=(Related(cpu, "CPU flags stated here"),) if cpu else (),
                                  hint="use type xen-pv, or a host with Intel VT / AMD-V enabled in the BIOS")


class KvmHostCpu(Rule):
    """A KVM host is a 64-bit Intel VT or AMD-V machine.

    What it checks: a KVM host whose architecture is not x86_64, or whose `cpu flags` are
    stated and contain neither vmx nor svm.

    Why: "The KVM hypervisor requires: an Intel processor with the Intel VT and Intel 64
    extensions, or an AMD processor with the AMD-V and AMD64 extensions" (§1, lines
    419-422); "The KVM hypervisor requires a processor with the Intel-VT or AMD-V
    virtualization extensions" (§3, line 451; Glossary, line 6358). The extensions may be
    switched off in the BIOS (§32.6, line 5148; contradiction C-23 as in VH103).

    Example:
        host k { hypervisor kvm; arch i686 }

    Fix: run KVM on an x86_64 host with VT / AMD-V enabled, or use Xen para-virtualization.
    """

    code, name, severity = "VH104", "kvm-host-cpu", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("HOST-04", "HOST-07"), "§1", "419-422, 451, 5148, 6358"
    scope = Scope.HOST
    hypervisors = ("kvm",)
    uses = ("host.virt_extensions", "host.kvm_arches")

    def host(self, h, guests):
        if h.hypervisor != "kvm":
            return
        arches = self.limit("host.kvm_arches")
        if h.arch not in arches.value:
            yield self.report(f"KVM host {h.name} is {h.arch}; KVM needs an {' or '.join(arches.value)} host",
                              h.fields.get("arch") or h.span, h.owner, limit=arches,
                              hint="use a 64-bit (Intel 64 / AMD64) host, or Xen")
        if h.cpu.flags and not _has_extensions(self, h):
            ext = self.limit("host.virt_extensions")
            yield self.report(f"KVM host {h.name}'s CPU has neither {' nor '.join(ext.value)}",
                              h.fields.get("cpu") or h.span, h.owner, limit=ext,
                              hint="enable Intel VT / AMD-V in the BIOS and add the flag, or use Xen "
                                   "para-virtualization")


class XenHostPae(Rule):
    """A Xen host's x86 processor has PAE.

    What it checks: an i686 or x86_64 Xen host whose `cpu flags` are stated and lack pae.

    Why: "To utilize para-virtualization on Red Hat Enterprise Linux 5, your processor
    must have the Physical Address Extension (PAE) instruction set" (§2, line 443). dom0
    itself runs para-virtualized on kernel-xen, so every x86 Xen host needs it.

    Example:
        host x { hypervisor xen; cpu intel flags vmx nx }

    Fix: a processor with PAE (add `pae` to the flags if /proc/cpuinfo shows it), or KVM.
    """

    code, name, severity = "VH105", "xen-host-pae", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("HOST-05",), "§2", "443"
    scope = Scope.HOST
    when = ("cpu.flags",)
    hypervisors = ("xen",)

    def host(self, h, guests):
        if h.hypervisor == "xen" and h.arch != "ia64" and h.cpu.flags and "pae" not in h.cpu.flags:
            yield self.report(f"Xen host {h.name}'s CPU flags lack pae; para-virtualization (and dom0) needs "
                              "PAE", h.fields.get("cpu") or h.span, h.owner,
                              hint="add pae to the flags if /proc/cpuinfo shows it; otherwise use another host")


class Ia64HvmFirmware(Rule):
    """Fully virtualized guests on Itanium need the xen-ia64-guest-firmware package.

    What it checks: an ia64 Xen host with HVM guests whose `packages` lack
    xen-ia64-guest-firmware.

    Why: "Fully virtualized guests on the Itanium architecture require the guest firmware
    image package (xen-ia64-guest-firmware)" (§6.1, line 600; also §2, line 447, and §6.2,
    lines 621-622).

    Example:
        host i { hypervisor xen; arch ia64; packages xen kernel-xen }
        guest w on i { type xen-hvm ... }

    Fix: `packages xen kernel-xen xen-ia64-guest-firmware`.
    """

    code, name, severity = "VH106", "ia64-hvm-firmware", Severity.ERROR
    checklist, section, lines = ("HOST-06",), "§6.1", "445-447, 598-601, 621-622"
    scope = Scope.HOST
    when = ("guests",)
    hypervisors = ("xen",)
    uses = ("host.ia64_hvm_firmware",)

    def host(self, h, guests):
        if h.hypervisor != "xen" or h.arch != "ia64":
            return
        hvm = [g for g in guests if g.type == "xen-hvm"]
        need = self.limit("host.ia64_hvm_firmware")
        missing = [p for p in need.value if p not in h.packages]
        if hvm and missing:
            pk = h.fields.get("packages")
            yield self.report(f"Itanium host {h.name} runs fully virtualized guest {hvm[0].name} but does not "
                              f"install {', '.join(missing)}", _type_span(hvm[0]), hvm[0].owner, limit=need,
                              related=(Related(pk, "packages listed here"),) if pk else (),
                              hint=f"add `packages {' '.join(missing)}` to host {h.name}")


class HostVirtPackages(Rule):
    """A host's package list has its hypervisor's packages.

    What it checks: a host that states `packages` but has neither the hypervisor's
    kickstart group (@xen, @kvm) nor its packages (xen and kernel-xen for Xen, kvm for
    KVM). The hint names the recommended management packages that are missing.

    Why: "To start using virtualization on Red Hat Enterprise Linux you need the xen and
    kernel-xen packages" (§6.2, lines 617-620; kickstart `@xen`, lines 594-596); "you
    will need the kvm package" (§6.4, lines 671-674; kickstart `@kvm`, lines 653-655);
    "yum install virt-manager libvirt libvirt-python python-virtinst" is advised for
    management (lines 623-625, 677).

    Example:
        hypervisor kvm; packages libvirt virt-manager

    Fix: `packages kvm libvirt virt-manager libvirt-python python-virtinst` (or @kvm).
    """

    code, name, severity = "VH107", "host-virt-packages", Severity.WARNING
    checklist, section, lines = ("HOST-09",), "§6.2", "594-596, 617-625, 653-655, 671-677"
    scope = Scope.HOST
    when = ("packages",)
    uses = ("host.packages",)

    def host(self, h, guests):
        if not h.packages:
            return
        table = self.limit("host.packages")
        spec = table.value[h.hypervisor]
        if spec["group"] in h.packages:
            return
        missing = [p for p in spec["required"] if p not in h.packages]
        if not missing:
            return
        extra = [p for p in table.value["recommended"] if p not in h.packages]
        hint = f"add {' '.join(missing)} (or the kickstart group {spec['group']})"
        if extra:
            hint += f"; recommended as well: {' '.join(extra)}"
        yield self.report(f"{h.hypervisor} host {h.name} does not install {', '.join(missing)}",
                          h.fields.get("packages") or h.span, h.owner, limit=table, hint=hint)


class KvmHostXenPackages(Rule):
    """A KVM host does not install the Xen hypervisor packages.

    What it checks: a KVM host whose `packages` include @xen, xen or kernel-xen.

    Why: at installation, "select the KVM package group. Do not select the Virtualization
    package group" (§6.3, line 642), which installs the Xen hypervisor (line 583); with
    kernel-xen installed the host may boot the Xen kernel, where KVM does not run (§32.2,
    lines 4922-4928).

    Contradiction C-37: the Xen installation procedure also says to select the KVM group
    (lines 582-583) while describing the Virtualization group. The KVM procedure's explicit
    "do not" is followed; a host that deliberately switches between hypervisors (§32.2)
    may suppress this warning.

    Example:
        hypervisor kvm; packages kvm kernel-xen

    Fix: remove the Xen packages (@xen, xen, kernel-xen) from the KVM host.
    """

    code, name, severity = "VH108", "kvm-host-xen-packages", Severity.WARNING
    checklist, section, lines = ("HOST-10",), "§6.3", "582-583, 640-642, 4922-4928"
    scope = Scope.HOST
    when = ("packages",)
    hypervisors = ("kvm",)
    uses = ("host.packages",)

    def host(self, h, guests):
        if h.hypervisor != "kvm":
            return
        xen = self.limit("host.packages").value["xen"]
        found = [p for p in h.packages if p == xen["group"] or p in xen["required"]]
        if found:
            yield self.report(f"KVM host {h.name} installs {', '.join(found)}, the Xen hypervisor packages",
                              h.fields.get("packages") or h.span, h.owner, limit=self.limit("host.packages"),
                              hint="remove them, unless the host deliberately switches hypervisors (then "
                                   "suppress this warning)")


class KvmRelease(Rule):
    """KVM needs RHEL 5.4 or newer.

    What it checks: a KVM host whose `release` is before 5.4.

    Why: "The KVM hypervisor requires Red Hat Enterprise Linux 5.4 or newer" (§8.2, lines
    986-988; also §6.4, line 660; lines 1062, 1158); "there is no KVM before Red Hat
    Enterprise Linux 5.4" (§32.2, line 4912).

    Example:
        hypervisor kvm; release 5.3

    Fix: update the host to 5.4 or later (the guide describes 5.8), or use Xen.
    """

    code, name, severity = "VH109", "kvm-release", Severity.ERROR
    facts = ("release",)
    checklist, section, lines = ("HOST-15",), "§6.4", "658-660, 986-988, 1062, 1158, 4912"
    scope = Scope.HOST
    when = ("release",)
    hypervisors = ("kvm",)
    uses = ("host.kvm_min_release",)

    def host(self, h, guests):
        first = self.limit("host.kvm_min_release")
        if h.hypervisor == "kvm" and h.release and release_key(h.release) < release_key(first.value):
            yield self.report(f"KVM host {h.name} runs RHEL {h.release}; KVM needs {first.value} or newer",
                              h.fields.get("release") or h.span, h.owner, limit=first,
                              hint=f"update to RHEL {first.value} or later, or use Xen")


class HypervisorSwitchPlatform(Rule):
    """A host switches between Xen and KVM only on RHEL 5.4 or newer on x86_64.

    What it checks: a host that shows it switches hypervisors, because it carries a guest
    of the other hypervisor (a `kvm` guest on a Xen host, a `xen-pv`/`xen-hvm` guest on a
    KVM host) or a guest `created-on` the other hypervisor, while its release (5.8 when not
    stated) is before 5.4 or its architecture is not x86_64. Whether such a guest may be
    placed there at all is VG113 / GOS-14's business; this rule is about the platform.

    Why: "This procedure only applies to Red Hat Enterprise Linux 5.4 and later, on Intel
    64 or AMD64. Other configurations or releases are not supported. There is no KVM
    before Red Hat Enterprise Linux 5.4" (§32.2, line 4912). The switch boots either
    kernel-xen or the standard kernel with the kvm module (lines 4914-4968).

    Example:
        host x { hypervisor xen; release 5.3 }
        guest k on x { type kvm ... }

    Fix: keep the host on one hypervisor (place the guest on a host that runs its
    hypervisor), or update it to RHEL 5.4+ on x86_64 before switching.
    """

    code, name, severity = "VH110", "hypervisor-switch-platform", Severity.ERROR
    checklist, section, lines = ("HOST-13",), "§32.2", "4912, 4914-4968"
    scope = Scope.HOST
    when = ("guests",)
    uses = ("host.kvm_min_release", "host.kvm_arches")

    def host(self, h, guests):
        first = self.limit("host.kvm_min_release")
        arches = self.limit("host.kvm_arches")
        release = host_release(self, h)
        if release_key(release) >= release_key(first.value) and h.arch in arches.value:
            return
        switching = [g for g in guests
                     if guest_hypervisor(g) != h.hypervisor or (g.created_on and g.created_on != h.hypervisor)]
        if not switching:
            return
        g = switching[0]
        other = "kvm" if h.hypervisor == "xen" else "xen"
        evidence = (f"is a {other} guest" if guest_hypervisor(g) != h.hypervisor
                    else f"was created on {g.created_on}")
        span = _type_span(g) if guest_hypervisor(g) != h.hypervisor else (g.fields.get("created-on") or g.span)
        related = [Related(switching[-1].span, f"and {len(switching) - 1} more, the last {switching[-1].name}")] \
            if len(switching) > 1 else []
        yield self.report(f"guest {g.name} {evidence}, so {h.hypervisor} host {h.name} would switch between Xen and "
                          f"KVM; that is supported only on RHEL {first.value}+ on {' or '.join(arches.value)}, and "
                          f"the host is {h.arch} RHEL {release}", span, g.owner, limit=first, related=related,
                          hint=f"place {g.name} on a {other} host, or update host {h.name}")


class GuestNameChars(Rule):
    """Guest names use only the characters the host's release allows.

    What it checks: each guest's name against its host's release (a host without
    `release` is taken to be 5.8, the release the guide describes, MISC-07): before 5.5
    letters and digits only; from 5.5 also '_', '.' and '-'.

    Why: "Punctuation and whitespace characters are not permitted in versions before Red
    Hat Enterprise Linux 5.5. Red Hat Enterprise Linux 5.5 adds support for '_', '.' and
    '-' characters" (§7.2, line 723; §8.2, lines 1002-1004; §8.5, lines 1171-1173). "All
    limitations in this chapter are limitations for Red Hat Enterprise Linux 5.8 except
    where noted" (§5.3, lines 507-509).

    Example:
        host old { hypervisor xen; release 5.4 }
        guest web-01 on old { ... }

    Fix: rename the guest (web01), or update the host to 5.5 or later.
    """

    code, name, severity = "VH111", "guest-name-chars", Severity.ERROR
    checklist, section, lines = ("MISC-01", "MISC-07"), "§7.2", "507-509, 723, 1002-1004, 1171-1173"
    uses = ("misc.guest_name_patterns", "misc.default_release")

    def _since(self, release: str) -> str | None:
        """The newest pattern's release that `release` has (None: none), once per release:
        the rule runs for every guest of the fleet and hosts share a few releases."""
        cache = self.__dict__.setdefault("_since_cache", {})
        if release not in cache:
            table = self.limit("misc.guest_name_patterns")
            fits = [k for k in table.value if release_key(k) <= release_key(release)]
            cache[release] = max(fits, key=release_key) if fits else None
        return cache[release]

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        release = host_release(self, h)
        table = self.limit("misc.guest_name_patterns")
        since = self._since(release)
        if since is None:
            return
        if re.fullmatch(table.value[since], g.name):
            return
        bad = sorted({ch for ch in g.name if not re.fullmatch(table.value[since], ch)})
        shown = " ".join(repr(ch) for ch in bad)
        newer = [k for k in table.value if release_key(k) > release_key(release)]
        hint = "use letters and digits only" if newer else "use letters, digits, '_', '.' and '-'"
        if newer and re.fullmatch(table.value[min(newer, key=release_key)], g.name):
            hint += f", or update host {h.name} to RHEL {min(newer, key=release_key)}"
        yield self.report(f"guest name {g.name} contains {shown}, which RHEL {release} (host {h.name}) does not "
                          "allow in guest names", g.span, g.owner, limit=table, hint=hint)


class DuplicateHostname(Rule):
    """Every guest of the fleet has its own host name.

    What it checks: guests that declare the same `hostname` (compared without case).

    Why: in a cloned guest "You must modify the HOSTNAME entry of the
    /etc/sysconfig/network file to match the new guest's hostname" (§32.18, lines
    5573-5574; §32.19, lines 5589-5594): a copy that keeps the old name clashes on the
    network and in DNS.

    Example:
        guest web01 { ...; hostname web.example.com }
        guest web02 { ...; hostname web.example.com }

    Fix: give each guest its own host name.
    """

    code, name, severity = "VH112", "duplicate-hostname", Severity.WARNING
    checklist, section, lines = ("MISC-03",), "§32.18", "5573-5574, 5589-5594"
    scope = Scope.FLEET

    def fleet(self):
        first: dict[str, Guest] = {}
        for g in self.ctx.model.guests:
            if not g.hostname:
                continue
            key = g.hostname.lower()
            if key not in first:
                first[key] = g
                continue
            f = first[key]
            related = [Related(own_span(f, "hostname"), f"host name of {f.name}")]
            if own_span(g, "hostname") is g.span and g.fields.get("hostname"):
                related.append(Related(g.fields.get("hostname"), "set here, in a template"))
            yield self.report(f"guest {g.name} has the host name {g.hostname}, like guest {f.name}",
                              own_span(g, "hostname"), g.owner, related=related,
                              hint="give each guest its own `hostname`")
