"""Timekeeping rules (checklist area TIME): constant TSC, guest clock parameters.

A host's CPU flags decide these rules only when the host states them (`cpu ... flags`):
a host without a `flags` list is not judged.
"""
from __future__ import annotations

from dataclasses import replace

from ..cpu import CONSTANT_TSC, lacks_constant_tsc  # noqa: F401
from ..diagnostics import Related, Severity
from ..model import Guest, Host
from .base import Rule, Scope
from .guest_os.common import (
    below,
    cmdline_tokens,
    has_arg,
    host_span,
    major,
    rhel_release,
    span_of,
)

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {
    "TIME-17": "operational: bcdedit /set {default} USEPLATFORMCLOCK on, only if a Vista / 2008 / 7 guest "
               "shows timekeeping problems",
    "TIME-19": "explain: a PV guest takes its time from the hypervisor; a date set while installing is ignored",
    "TIME-21": "emitter: `clock utc|localtime` is written as xm localtime=0|1 and <clock offset=...> (default utc)",
}

_TSC = CONSTANT_TSC


def clock_row(g: Guest, limits) -> dict | None:
    """The row of the guide's clock table (§16, lines 2898-2916) for a guest, if any."""
    table = limits["kvm.guest_clock_params"].value
    if not g.os or not g.os.release:
        return None
    if g.os.family == "windows":
        for r in table:
            if r["family"] == "windows" and r["release"] == g.os.release:
                return r
        return None
    rel = rhel_release(g)
    if rel is None:
        return None
    pvclock = g.pvclock
    if pvclock is None:
        pvclock = below(rel, limits["kvm.pvclock_min_rhel_release"].value) is False
    best = None
    for r in table:
        if r["family"] != "rhel" or r["arch"] != g.arch or major(r["release"]) != major(rel):
            continue
        if below(rel, r["release"]) is not False:
            continue
        if r["pvclock"] is not None and r["pvclock"] != pvclock:
            continue
        if best is None or below(best["release"], r["release"]):
            best = r
    return best


class KvmHostConstantTsc(Rule):
    """A KVM host without a constant TSC keeps its CPUs out of deep C-states.

    What it checks: a KVM host whose `cpu ... flags` lack constant_tsc and whose kernel
    arguments (`grub args`) lack processor.max_cstate=1.

    Why: "Systems without a Constant Time Stamp Counter require additional
    configuration" (§5.2, lines 480-481). "If the constant_tsc flag is present your CPU
    has a constant Time Stamp Counter" (§16, lines 2883-2886). "Systems without a constant
    TSC need extra configuration. Power management features interfere with accurate
    timekeeping and must be disabled for guests to keep time correctly with KVM" (lines
    2887-2888); "to keep the kernel out of deep C-states, append processor.max_cstate=1 to
    the kernel boot options in the host's grub.conf" (line 2893). The note at line 2892
    says these instructions are for AMD revision F CPUs only, while line 2893 asks any CPU
    without the constant_tsc bit to disable all power management; virtc applies it to
    every KVM host without constant_tsc. The other half, MIN_SPEED = MAX_SPEED in
    /etc/sysconfig/cpuspeed (line 2897), is not described by virtc (TIME-04).

    Example:
        host k { hypervisor kvm; cpu amd flags svm nx }

    Fix: `grub args "processor.max_cstate=1"`, set MIN_SPEED and MAX_SPEED in
    /etc/sysconfig/cpuspeed to the highest frequency, and give the guests the clock
    arguments of VK104.
    """

    code, name, severity = "VK101", "kvm-host-constant-tsc", Severity.WARNING
    facts = ("cpu", "grub")
    checklist, section, lines = ("TIME-01", "TIME-02", "TIME-03"), "§16", "480-481, 2883-2897"
    scope = Scope.HOST
    hypervisors = ("kvm",)
    uses = ("kvm.no_constant_tsc_host_args",)

    def host(self, h: Host, guests: list[Guest]):
        if h.hypervisor != "kvm" or not lacks_constant_tsc(h):
            return
        args = self.limit("kvm.no_constant_tsc_host_args")
        tokens = (h.grub.args or "").split()
        missing = [a for a in args.value if not has_arg(tokens, a)]
        if not missing:
            return
        # at the kernel line that lacks the arguments, when there is one; the CPU is related
        line = h.fields.get("grub")
        related = [Related(h.fields.get("cpu"), "CPU without constant_tsc")] if line and h.fields.get("cpu") else []
        wanted = " ".join(((h.grub.args or "").split()) + missing)
        yield self.report(f"KVM host {h.name} has no constant_tsc and its kernel line lacks {' '.join(missing)}; "
                          "guest clocks will drift", line or host_span(h, "cpu"), h.owner, limit=args,
                          related=related,
                          hint=f'grub args "{wanted}"; also set MIN_SPEED = MAX_SPEED (the highest frequency) '
                               "in /etc/sysconfig/cpuspeed")


def _ntpd_problem(on: tuple[str, ...], off: tuple[str, ...]) -> str | None:
    if "ntpd" in off and "ntpd" not in on:
        return "turns ntpd off"
    if on and "ntpd" not in on:
        return f"lists its services ({' '.join(on)}) without ntpd"
    return None


class NtpdRunning(Rule):
    """ntpd runs on KVM hosts and in their guests.

    What it checks: a KVM host that runs KVM guests, and each KVM guest, that turns ntpd
    off (`services off ntpd`) or lists the services it runs (`services on ...`) without
    ntpd. A host or guest that states no services is not judged, nor a host with no guest:
    a host tree read by lint is taken for KVM when nothing in it is Xen's, and a server
    with no guest at all is no virtualization host the guide speaks of.

    Why: "The Network Time Protocol (NTP) daemon should run on the host and the guests.
    Enable the ntpd service: service ntpd start; chkconfig ntpd on. Using ntpd minimises
    the effect of clock skew" (§16, lines 2876-2882).

    Example:
        guest db on kvm1 { memory 2G; services on httpd }

    Fix: `services on ntpd` on the host and in every guest.
    """

    code, name, severity = "VK102", "ntpd-running", Severity.WARNING
    checklist, section, lines = ("TIME-05",), "§16", "2876-2882"
    scope = Scope.HOST
    when = ("services_on", "services_off", "guests")
    hypervisors = ("kvm",)

    def host(self, h: Host, guests: list[Guest]):
        if h.hypervisor != "kvm":
            return
        problem = _ntpd_problem(h.services_on, h.services_off)
        if problem and any(g.type == "kvm" for g in guests):
            yield self.report(f"KVM host {h.name} {problem}; ntpd should run on the host and in its guests",
                              host_span(h, "services"), h.owner, hint="services on ntpd")
        for g in guests:
            if g.type != "kvm":
                continue
            problem = _ntpd_problem(g.services_on, g.services_off)
            if problem:
                yield self.report(f"KVM guest {g.name} {problem}; ntpd should run in every guest",
                                  span_of(g, "services"), g.owner, hint="services on ntpd",
                                  related=[Related(host_span(h, "services"), f"host {h.name}")]
                                  if h.fields.get("services") else [])


class PvclockGuestRelease(Rule):
    """Only RHEL 5.4 and newer guests fully support the KVM para-virtualized clock.

    What it checks: a KVM RHEL guest older than 5.4 declared `pvclock on` (information:
    the guest will not get the benefit the setting suggests).

    Why: "KVM solves this by giving guests a para-virtualized clock ... Presently, only
    Red Hat Enterprise Linux 5.4 and newer guests fully support the para-virtualized
    clock" (§16, lines 2869-2870). Older guests need the kernel arguments of VK104.

    Example:
        type kvm; os rhel5.3 x86_64; pvclock on

    Fix: `pvclock off` and the clock arguments for the release (5.3 x86_64:
    divider=10 notsc), or update the guest.
    """

    code, name, severity = "VK103", "pvclock-guest-release", Severity.INFO
    when = ("pvclock",)
    guest_types = ("kvm",)
    checklist, section, lines = ("TIME-06",), "§16", "2869-2870"
    uses = ("kvm.pvclock_min_rhel_release",)

    def guest(self, g: Guest):
        rel = rhel_release(g)
        if g.type != "kvm" or not g.pvclock or rel is None:
            return
        minimum = self.limit("kvm.pvclock_min_rhel_release")
        if below(rel, minimum.value):
            yield self.report(f"guest {g.name} (RHEL {rel}) has pvclock on; only RHEL {minimum.value} and newer "
                              "guests fully support the para-virtualized clock", span_of(g, "pvclock"),
                              g.owner, limit=minimum,
                              hint="write `pvclock off` and give the guest its clock arguments")


class GuestClockParameters(Rule):
    """KVM guests on a host without constant TSC boot with their release's clock arguments.

    What it checks: a KVM guest on a host whose `cpu ... flags` lack constant_tsc: its
    kernel arguments (`kernel-args`, the end of the guest's grub.conf kernel line; for
    Windows XP / 2003 the boot.ini switches) must contain the arguments the table gives
    for its release, architecture and PV clock. A RHEL row holds from its release to the
    next row of the same major release (5.4 covers 5.4-5.8); releases below the lowest row
    (5.0-5.2, 4.0-4.7) are not in the table and not judged. `lpj=n` stands for any
    number. A RHEL 5.4+ guest is taken to use the PV clock unless `pvclock off`. The table
    itself is `kvm.guest_clock_params` in schemas/limits.json.

    Why: "Some Red Hat Enterprise Linux guests need extra kernel parameters. They are set
    by appending them to the end of the /kernel line in the guest's /boot/grub/grub.conf.
    The table lists the releases and the parameters needed on systems without a constant
    Time Stamp Counter" (§16, lines 2898-2911):
      5.4 AMD64/Intel 64 with the PV clock: none;  without: divider=10 notsc lpj=n
      5.4 x86 with the PV clock: none;  without: divider=10 clocksource=acpi_pm lpj=n
      5.3 AMD64/Intel 64: divider=10 notsc;  5.3 x86: divider=10 clocksource=acpi_pm
      4.8 AMD64/Intel 64: notsc divider=10;  4.8 x86: clock=pmtmr divider=10
      3.9 AMD64/Intel 64 and x86: none.
    Windows Server 2003 and XP: "append /usepmtimer to boot.ini" to use the PM timer
    instead of the TSC (lines 2912-2916; the guide prints it "/use pmtimer", which is
    accepted too). Inaccurate clocks break session authentication, and "guests with
    slow clocks may have problems migrating" (lines 2871-2874): the message says so for
    migratable guests.

    Example:
        host k { hypervisor kvm; cpu amd flags svm nx; ... }
        guest r on k { os rhel5.3 x86_64; memory 1G; kernel-args "ro root=LABEL=/ divider=10" }

    Fix: append the missing arguments to the guest's kernel line and to `kernel-args`
    (here: notsc).
    """

    code, name, severity = "VK104", "guest-clock-parameters", Severity.WARNING
    guest_types = ("kvm",)
    checklist = ("TIME-07", "TIME-08", "TIME-09", "TIME-10", "TIME-11", "TIME-12", "TIME-13", "TIME-14",
                 "TIME-15", "TIME-16", "TIME-20")
    section, lines = "§16", "2871-2874, 2898-2916"
    uses = ("kvm.guest_clock_params", "kvm.pvclock_min_rhel_release")

    def row(self, g: Guest) -> dict | None:
        return clock_row(g, self.ctx.limits)

    def guest(self, g: Guest):
        if g.type != "kvm":
            return
        h = self.ctx.host_of(g)
        if not lacks_constant_tsc(h):
            return
        r = self.row(g)
        if r is None or not r["params"]:
            return
        windows = g.os.family == "windows"
        cmdline = g.boot.cmdline or ""
        if windows:
            tokens = cmdline.lower().replace("/use pmtimer", "/usepmtimer").split()
        else:
            tokens = cmdline_tokens(g)
        missing = [p for p in r["params"] if not has_arg(tokens, p.lower() if windows else p)]
        if not missing:
            return
        # Cite the table row, not the whole table.
        limit = replace(self.limit("kvm.guest_clock_params"), checklist=(r["item"],), lines=r["lines"])
        clock = ""
        if r["pvclock"] is not None:
            clock = " with the PV clock" if r["pvclock"] else " without the PV clock"
        what = f"{g.os.name} {g.arch}{clock}"
        where = "boot.ini switches" if windows else "kernel arguments"
        message = (f"guest {g.name} ({what}) on host {h.name}, which has no constant_tsc, needs the {where} "
                   f"{' '.join(r['params'])}; missing: {' '.join(missing)}")
        if g.migratable:
            message += "; a guest with a drifting clock may also fail to migrate"
        wanted = " ".join(cmdline.split() + missing)
        yield self.report(message, span_of(g, "kernel-args", "kernel", "os"), g.owner, limit=limit,
                          related=[Related(host_span(h, "cpu"), f"host {h.name} lacks constant_tsc")],
                          hint=f'kernel-args "{wanted}"' + (" (lpj=n: the guest's loops_per_jiffy)"
                                                            if any(p.startswith("lpj=") for p in missing) else ""))


class HypervGuestDivider(Rule):
    """A RHEL 5 guest under Microsoft Hyper-V boots with divider=10.

    What it checks: guests of a `hypervisor hyperv` host running RHEL whose kernel
    arguments set divider to anything but 10. (virtc adds divider=10 itself when the
    guest's kernel arguments do not mention divider.)

    Why: "To avoid timing errors when running Red Hat Enterprise Linux 5 under the
    Microsoft Hyper-V server, use the divider=10 option in the grub.conf file" (§4,
    lines 460-462).

    Example:
        host hv1 { hypervisor hyperv }
        guest r5 on hv1 { memory 1G; os rhel5.8 x86_64; kernel-args "divider=5" }

    Fix: kernel-args with divider=10 (or leave divider out and let virtc add it).
    """

    code, name, severity = "VK105", "hyperv-guest-divider", Severity.WARNING
    guest_types = ("hyperv",)
    checklist, section, lines = ("TIME-18",), "§4", "460-462"
    uses = ("hyperv.guest_args",)
    hyperv = True

    def guest(self, g: Guest):
        if g.type != "hyperv" or not g.os or g.os.family != "rhel":
            return
        wanted = self.limit("hyperv.guest_args")
        tokens = (g.boot.cmdline or "").split()
        missing = [a for a in wanted.value if a not in tokens]
        if missing:
            yield self.report(f"guest {g.name} runs under Hyper-V without {' '.join(missing)}; its clock will "
                              "drift", span_of(g, "kernel-args", "os"), g.owner, limit=wanted,
                              hint=f"kernel-args with {' '.join(missing)}")
