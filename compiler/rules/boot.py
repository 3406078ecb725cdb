"""Boot rules (checklist area BOOT): the host's GRUB or ELILO entry, guest boot settings.

What the user states about a host's boot entry: `grub args "..."` (the dom0 `module
/vmlinuz` line on Xen, the kernel line on KVM), `grub xen-args "..."` (the hypervisor's
`kernel /xen.gz` line; on Itanium the part of ELILO's append= before `--`), `grub serial
com1 speed N`, `dom0 memory / vcpus` (dom0_mem, dom0_max_vcpus) and the host `kernel`
version. virtc writes the entry itself (a later issue), so these rules check only what
the user wrote: options on the wrong line, values the hypervisor does not take, settings
that contradict each other.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..diagnostics import Related, Severity
from ..model import Guest, Host
from ..owner import Owner
from ..source import Span
from ..suggest import did_you_mean
from ..units import KIB, UNITS, format_kib, hypervisor_size  # noqa: F401
from .base import Rule, Scope
from ..schemas import load
from ..values import is_number

# Checklist items of this area that no rule implements, and why (see compiler/coverage.py).
NOT_CHECKABLE: dict[str, str] = {
    "BOOT-12": "no field: the guest's /etc/inittab is not described (a guest statement such as "
               "`console getty xvc0` would be needed); virtc writes host files only",
}


def _tokens(text: str | None) -> list[str]:
    return (text or "").split()


def _option(token: str) -> tuple[str, str | None]:
    """'dom0_mem=2G' -> ('dom0_mem', '2G'); 'noacpi' -> ('noacpi', None)."""
    name, eq, value = token.partition("=")
    return name, (value if eq else None)


def _options(text: str | None) -> list[tuple[str, str | None, str]]:
    return [(*_option(t), t) for t in _tokens(text)]


def _last(text: str | None, name: str) -> str | None:
    found = None
    for n, v, _ in _options(text):
        if n == name and v is not None:
            found = v
    return found


def _grub_span(h: Host, field: str | None = None, token: str | None = None) -> Span:
    """Where `token` of `grub args` / `xen-args` was written (a word of a boot line a
    reader read), else the grub statement or entry."""
    return (token and h.fields.get(f"{field} {token}")) or h.fields.get("grub") or h.span


_SERIAL = re.compile(r"^(auto|[0-9]+)(,[5-8][noems][12](,(0x[0-9a-fA-F]+|[0-9]+)(,[0-9]+)?)?)?$")
_FLAVOUR = re.compile(r"\.el5([A-Za-z]*)$")


def _xen_console_spec(value: str | None, devices: list[str]) -> bool:
    """console=com2L, console=vga,com1: the hypervisor's console list."""
    if not value:
        return False
    for item in value.split(","):
        base = item[:-1] if item.startswith("com") and item[-1:] in ("H", "L") else item
        if base not in devices:
            return False
    return True


def _kernel_flavour(version: str | None) -> str | None:
    m = _FLAVOUR.search(version or "")
    return m.group(1) if m else None


def _kernel_span(h: Host) -> Span:
    return h.fields.get("kernel-version") or h.fields.get("kernel") or h.span


# -- rules ---------------------------------------------------------------



@lru_cache(maxsize=1)
def _xen_options() -> frozenset:
    """Every option Xen 3.0 to 4.2 parse from the hypervisor's command line (schemas/xen-options.json)."""
    return frozenset(load("xen-options.json")["options"])


def _xen_iommu_item(item: str) -> bool:
    """One item of an iommu= list as Xen's parser takes it (schemas/xen-options.json): a
    boolean, or a sub-option (required, force, passthrough ...), maybe with a no- prefix."""
    table = load("xen-options.json")["iommu_values"]
    name = item.lower().removeprefix("no-")
    return item.lower() in table["booleans"] or name in table["values"]

class HypervisorOptionOnDom0Line(Rule):
    """Hypervisor options go on the xen.gz line (`grub xen-args`), not on dom0's kernel line.

    What it checks: on a Xen host, `grub args` (the `module /vmlinuz-...xen` line of dom0's
    kernel) holding an option of the hypervisor: dom0_mem, dom0_max_vcpus, com1, com2,
    iommu, noacpi, sync_console, or console= naming vga/com1/com2. mem= and acpi= are
    reported as warnings: Linux reads them too, so on dom0's line they change dom0's
    kernel only, not the hypervisor the guide means them for.

    Why: "If you require xen hypervisor specific values you must append them to the xen
    line of your grub entry" (§32.5, line 5093); "Hypervisor specific values are all found
    on the 'xen' line" (§32.12, line 5451); dom0_mem=256M is appended "to the xen line"
    (lines 5111, 5465). Chapter 28 lists these options as GRUB parameters of the
    hypervisor (lines 4600-4618). On dom0's line the hypervisor never sees them.

    Example:
        grub args "ro root=/dev/VolGroup00/LogVol00 dom0_mem=512M"

    Fix: `dom0 memory 512M` (virtc writes dom0_mem on the xen line), or move the option to
    `grub xen-args "..."`.
    """

    code, name, severity = "VB101", "hypervisor-option-on-dom0-line", Severity.ERROR
    checklist, section, lines = ("BOOT-03",), "§32.5", "4600-4618, 5093, 5111, 5451, 5465"
    scope = Scope.HOST
    when = ("grub.args",)
    hypervisors = ("xen",)
    uses = ("boot.hypervisor_options", "boot.xen_console_values")

    HINTS = {"dom0_mem": "write `dom0 memory SIZE` (virtc puts dom0_mem on the xen line)",
             "dom0_max_vcpus": "write `dom0 vcpus N` (virtc puts dom0_max_vcpus on the xen line)",
             "com1": "write `grub serial com1 speed N`, or move it to `grub xen-args`",
             "com2": "write `grub serial com2 speed N`, or move it to `grub xen-args`"}

    def host(self, h: Host, guests):
        if h.hypervisor != "xen" or not h.grub.args:
            return
        table = self.limit("boot.hypervisor_options")
        devices = self.limit("boot.xen_console_values").value
        for name, value, token in _options(h.grub.args):
            spec = table.value.get(name)
            if name == "console":
                if not _xen_console_spec(value, devices):
                    continue  # console=tty0 / ttyS0 / xvc0 is dom0's own console
            elif spec is None:
                continue
            also_linux = bool(spec and spec["also_linux"])
            what = ("a hypervisor option that Linux also reads: on dom0's line it changes dom0's "
                    "kernel, not the hypervisor" if also_linux else "a hypervisor (xen.gz) option")
            yield self.report(
                f"{token} in grub args of Xen host {h.name} is {what}; grub args is dom0's "
                "`module /vmlinuz` line", _grub_span(h, "args", token), h.owner,
                severity=Severity.WARNING if also_linux else None,
                hint=self.HINTS.get(name, f'move it to `grub xen-args "{token}"` (the kernel /xen.gz line)'))


class BootEntryHypervisor(Rule):
    """The boot entry matches the host's hypervisor: kernel-xen and xen.gz on Xen, neither on KVM.

    What it checks: the host's `kernel` version and boot arguments against `hypervisor`:
    a default boot entry, read from grub.conf or elilo.conf, that boots a Linux kernel
    alone on a Xen host, or xen.gz on a KVM host (at the default= line);
    a KVM host whose kernel is the Xen flavour (…el5xen), that states `grub xen-args` (a
    xen.gz line a KVM entry does not have) or that puts Xen-only options (dom0_mem,
    dom0_max_vcpus, com1, com2, iommu, noacpi, sync_console, console=com1) in its
    `grub args`; a Xen host whose kernel is another flavour (…el5PAE, …el5debug), which is
    not kernel-xen; and, as a warning, a Xen host whose kernel version already carries the
    `xen` suffix, since the entry names xen.gz-VERSION, vmlinuz-VERSIONxen and
    initrd-VERSIONxen.img from the base version.

    Why: "You must use the xen kernel to use the Xen hypervisor" (§32.5, line 5093);
    booting another kernel makes xend fail with "Could not obtain handle on privileged
    command interfaces" (§34.9, lines 5810-5829). Switching to KVM means making the
    default entry the plain `kernel /vmlinuz-2.6.18-159.el5` one instead of the
    `kernel /xen.gz` entry with its two modules (§32.2.1, lines 4929-4959). The entry's
    three file names carry one version (lines 2537-2539 mix 192 and 190, contradiction
    C-13; line 4593 shows the doubled `el5xenxen`, C-54), so the version is stated once,
    without the flavour.

    Example:
        host kvm9 { hypervisor kvm; kernel 2.6.18-308.el5xen }

    Fix: `kernel 2.6.18-308.el5` (virtc derives the xen file names on Xen hosts); drop
    `grub xen-args` and Xen options from KVM hosts.
    """

    code, name, severity = "VB102", "boot-entry-hypervisor", Severity.ERROR
    checklist, section, lines = ("BOOT-01", "BOOT-20", "BOOT-21"), "§32.2.1", \
        "2537-2539, 4593, 4929-4959, 5093, 5810-5829"
    scope = Scope.HOST
    when = ("kernel_kind", "kernel", "grub.xen_args", "grub.args")
    uses = ("boot.hypervisor_options", "boot.xen_console_values")

    def host(self, h: Host, guests):
        flavour = _kernel_flavour(h.kernel)
        # a boot entry read from the host: the default one boots the other hypervisor's kernel
        wrong = {"xen": "linux", "kvm": "xen"}.get(h.hypervisor)
        if h.kernel_kind is not None and h.kernel_kind == wrong:
            where = h.fields.get("default") or h.fields.get("kernel_kind") or h.span
            boots = "a Linux kernel without the hypervisor" if wrong == "linux" else "xen.gz (the Xen hypervisor)"
            needs = "xend cannot start and no guest runs" if h.hypervisor == "xen" else \
                "the kvm module needs the standard kernel"
            yield self.report(f"{h.hypervisor.upper() if h.hypervisor == 'kvm' else 'Xen'} host {h.name}'s default "
                              f"boot entry boots {boots}: {needs}", where, h.owner,
                              related=(Related(h.fields.get("kernel_kind"), "the entry's kernel"),)
                              if h.fields.get("kernel_kind") and h.fields.get("default") else (),
                              hint="point default= at the entry that boots "
                                   + ("xen.gz with the -xen kernel" if h.hypervisor == "xen" else "the standard kernel"))
            return
        if h.hypervisor == "kvm":
            yield from self.kvm(h, flavour)
        elif flavour == "xen":
            base = h.kernel[:-len("xen")]
            yield self.report(
                f"host {h.name}'s kernel {h.kernel} carries the xen suffix; its entry's files would be "
                f"named vmlinuz-{h.kernel}xen and initrd-{h.kernel}xen.img", _kernel_span(h), h.owner,
                severity=Severity.WARNING, hint=f"write `kernel {base}` (the base version)")
        elif flavour:
            yield self.report(
                f"Xen host {h.name} boots kernel {h.kernel}, the {flavour} flavour, which is not kernel-xen; "
                "xend cannot start under it", _kernel_span(h), h.owner,
                hint=f"write `kernel {h.kernel[:-len(flavour)]}` (virtc boots xen.gz with the xen flavour)")

    def kvm(self, h: Host, flavour: str | None):
        if flavour == "xen":
            yield self.report(f"KVM host {h.name} boots {h.kernel}, the Xen kernel; the kvm module needs "
                              "the standard kernel", _kernel_span(h), h.owner,
                              hint=f"write `kernel {h.kernel[:-len('xen')]}`")
        if h.grub.xen_args:
            yield self.report(f"KVM host {h.name} states grub xen-args \"{h.grub.xen_args}\"; a KVM entry "
                              "has no xen.gz line", _grub_span(h), h.owner,
                              hint="remove xen-args; kernel options of a KVM host go in `grub args`")
        table = self.limit("boot.hypervisor_options").value
        devices = self.limit("boot.xen_console_values").value
        for name, value, token in _options(h.grub.args):
            xen_only = (name in table and not table[name]["also_linux"] and name != "console") or \
                (name == "console" and _xen_console_spec(value, devices))
            if xen_only:
                yield self.report(f"{token} in grub args of KVM host {h.name} is a Xen hypervisor option; "
                                  "the KVM host's Linux kernel ignores it", _grub_span(h, "args", token), h.owner,
                                  severity=Severity.WARNING, hint=f"remove {token}")


class HypervisorOptionValue(Rule):
    """Hypervisor options in `grub xen-args` are ones the hypervisor knows, with valid values.

    What it checks: each word of `grub xen-args` on a Xen host:
    dom0 kernel options on the xen line (ro, root=, rhgb, quiet, console=ttyS0, ...) are
    errors, the mirror image of VB101; acpi= must be off, force, strict, ht or noirq;
    com1= / com2= must be `<baud>|auto[,DPS[,io_base[,irq]]]` (115200,8n1 or
    9600,8n1,0x408,5); console= a list of vga, com1, com2 (with an H/L suffix, com2L);
    dom0_max_vcpus= a whole number; mem= and dom0_mem= a number with an optional B, K, M
    or G suffix; iommu= on or 1 (or off/0), or a list of what Xen's parser takes there
    (required, force, passthrough ...: schemas/xen-options.json); noacpi and sync_console
    take no value.
    The guide points to XenSource for the full list of options (line 4659): one in that
    list (schemas/xen-options.json: loglvl, dom0_vcpus_pin, watchdog ...) is accepted with
    its value unjudged; any other word is a warning, with the nearest option.

    Why: chapter 28 lists the hypervisor's GRUB parameters: mem, "com1=115200,8n1",
    dom0_mem, dom0_max_vcpus, acpi with "off", "force", "strict", "ht" and "noirq", and
    noacpi (§28, lines 4600-4618). ELILO's table (§29, lines 4650-4655) gives the suffixes
    and "com1=<baud>,DPS,<io_base>,<irq>", where io_base and irq "can be omitted" and baud
    "can be set to auto". sync_console comes from §34.6 (line 5790), console=com2L from
    §34.11.1 (line 5855), iommu from §14 (line 2537).

    Contradiction C-12: iommu=on (line 2537) and iommu=1 (line 2736); both accepted.
    Contradiction C-29: dom0_mem=256M in the prose (lines 5111, 5465), 256MB in the
    examples (lines 5122, 5475). The documented suffixes are single letters, so 256M is
    the reading taken; 256MB is a warning (the hypervisor reads the M and ignores the B).
    Contradiction C-54: line 4603 writes "com1=115200, 8n1" with a space, which makes two
    words: "com1=115200," (bad) and "8n1" (unknown). Contradiction C-65: the translation
    says dom0_mem limits the hypervisor's memory (line 4606); it sets dom0's memory
    (lines 4594, 5111), which is how virtc reads it.

    Example:
        grub xen-args "acpi=no com1=115200, 8n1"

    Fix: `grub xen-args "acpi=off com1=115200,8n1"`.
    """

    code, name, severity = "VB103", "hypervisor-option-value", Severity.ERROR
    checklist, section, lines = ("BOOT-07", "BOOT-17", "BOOT-06"), "§28", \
        "2537, 2736, 4600-4618, 4650-4659, 5111, 5122, 5790, 5855"
    scope = Scope.HOST
    when = ("grub.xen_args",)
    hypervisors = ("xen",)
    uses = ("boot.hypervisor_options", "boot.acpi_values", "boot.xen_console_values",
            "boot.dom0_kernel_options", "boot.memory_suffixes", "passthrough.iommu_boot_args")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen" or not h.grub.xen_args:
            return
        table = self.limit("boot.hypervisor_options")
        dom0_opts = self.limit("boot.dom0_kernel_options")
        for name, value, token in _options(h.grub.xen_args):
            span = _grub_span(h, "xen-args", token)
            if token == "--":
                continue  # ELILO's separator: VB108
            if name in dom0_opts.value or (name == "console" and value and value.startswith(("tty", "xvc"))):
                yield self.report(f"{token} in grub xen-args of host {h.name} is a dom0 kernel option on the "
                                  "hypervisor's xen.gz line", span, h.owner, limit=dom0_opts,
                                  hint=f'move it to `grub args "{token}"` (dom0\'s module /vmlinuz line)')
                continue
            spec = table.value.get(name)
            if spec is None:
                known = _xen_options()
                if name in known or name.removeprefix("no-") in known:
                    continue  # a real option (loglvl, dom0_vcpus_pin ...) the guide does not cover
                yield self.report(f"{token} in grub xen-args of host {h.name} is not a hypervisor option",
                                  span, h.owner, severity=Severity.WARNING,
                                  limit=table, hint=did_you_mean(name, [*table.value, *known]) or
                                  f"documented: {', '.join(table.value)}")
                continue
            problem, hint, severity = self.value_problem(name, spec["value"], value)
            if problem:
                yield self.report(f"{token} in grub xen-args of host {h.name}: {problem}", span,
                                  h.owner, hint=hint, severity=severity, limit=table)

    def value_problem(self, name: str, kind: str, value: str | None):
        """(problem, hint, severity) or (None, None, None)."""
        if kind == "flag":
            if value is not None:
                return f"{name} takes no value", f"write {name} alone", None
            return None, None, None
        if value is None or value == "":
            if kind == "iommu":
                return None, None, None
            return f"{name} needs a value", f"e.g. {self.EXAMPLES[kind].format(name=name)}", None
        if kind == "size":
            suffixes = self.limit("boot.memory_suffixes").value
            state, kib = hypervisor_size(value, suffixes)
            if state == "bad":
                return (f"'{value}' is not a size (a number with an optional {'/'.join(suffixes)} suffix)",
                        f"e.g. {name}=2G", None)
            if state == "decimal":
                return (f"'{value}' ends in B after the unit (contradiction C-29): the hypervisor reads "
                        f"{format_kib(kib)} and ignores the B", f"write {name}={value[:-1]}", Severity.WARNING)
            return None, None, None
        if kind == "count":
            if not is_number(value) or not int(value):
                return f"'{value}' is not a positive whole number", f"e.g. {name}=2", None
            return None, None, None
        if kind == "serial":
            if not _SERIAL.match(value):
                return (f"'{value}' is not <baud>,DPS[,io_base[,irq]]",
                        f"e.g. {name}=115200,8n1 (no space after the comma)", None)
            return None, None, None
        if kind == "console":
            devices = self.limit("boot.xen_console_values").value
            if not _xen_console_spec(value, devices):
                return (f"'{value}' is not a list of {', '.join(devices)}",
                        "e.g. console=com1,vga or console=com2L", None)
            return None, None, None
        if kind == "acpi":
            values = self.limit("boot.acpi_values").value
            if value not in values:
                return (f"acpi takes {', '.join(values)}",
                        did_you_mean(value, values) or "acpi=off turns ACPI off; noacpi does too", None)
            return None, None, None
        if kind == "iommu":
            values = self.limit("passthrough.iommu_boot_args").value["xen"]["values"] + ["off", "0"]
            if value not in values and not all(map(_xen_iommu_item, value.split(","))):
                return f"iommu takes {', '.join(values)} (C-12: on and 1 both work)", "write iommu=on", None
        return None, None, None

    EXAMPLES = {"size": "{name}=2G", "count": "{name}=2", "serial": "{name}=115200,8n1",
                "console": "console=com1,vga", "acpi": "acpi=off", "iommu": "iommu=on", "flag": "{name}"}


class UnsuffixedHypervisorMemory(Rule):
    """mem= and dom0_mem= without a unit are in KiB.

    What it checks: a mem= or dom0_mem= value in `grub xen-args` that is a bare number
    small enough, read in KiB, to be a unit left out: below the guide's smallest dom0 size
    (256M). A bare number as large as that (dom0_mem=524288) is taken as KiB meant.

    Why: "[mem] can be given with a B, K, M or G suffix ... If no suffix is given, the
    default is KB"; dom0_mem takes "the same suffixes as mem" (§29, lines 4650-4651).
    dom0_mem=2048 gives dom0 2 MiB, not 2 GiB; the hypervisor's parser is the same on
    GRUB hosts. On Itanium the defaults are dom0_mem=4G and dom0_max_vcpus=4 (lines
    4651-4652).

    Example:
        grub xen-args "dom0_mem=2048"

    Fix: `dom0_mem=2048M`, or better `dom0 memory 2G`.
    """

    code, name, severity = "VB104", "unsuffixed-hypervisor-memory", Severity.WARNING
    checklist, section, lines = ("BOOT-16",), "§29", "4650-4652"
    scope = Scope.HOST
    when = ("grub.xen_args",)
    hypervisors = ("xen",)
    uses = ("boot.memory_suffixes", "boot.unsuffixed_suspect_below")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen":
            return
        suffixes = self.limit("boot.memory_suffixes")
        below = self.limit("boot.unsuffixed_suspect_below")
        for name, value, token in _options(h.grub.xen_args):
            if name in ("mem", "dom0_mem") and value:
                state, kib = hypervisor_size(value, suffixes.value)
                # a bare number as large as a dom0 is written in KiB on purpose (dom0_mem=524288)
                if state == "unsuffixed" and kib is not None and kib < below.value * UNITS["M"] // UNITS["K"]:
                    yield self.report(f"{token} in grub xen-args of host {h.name} has no unit, so the hypervisor "
                                      f"reads it in KiB: {format_kib(kib)}", _grub_span(h, "xen-args", token), h.owner,
                                      limit=suffixes,
                                      hint=f"write {name}={value}M if MiB were meant")


class Dom0BootSettings(Rule):
    """dom0's memory and vCPUs are stated once, and dom0 gets less memory than the host has.

    What it checks: on a Xen host, dom0_mem or dom0_max_vcpus written in `grub xen-args`
    as well as `dom0 memory` / `dom0 vcpus` (which virtc writes to the same xen line):
    an error when the two disagree, a warning when they repeat each other; and dom0's
    memory (from either) not below the host's `memory`.

    Why: dom0's memory is set "by appending dom0_mem=256M to the xen line" (§32.5, line
    5111; §28, lines 4594-4597; §32.12, line 5465); dom0_max_vcpus "limits the number of
    CPUs domain0 can see" (line 4608). Two dom0_mem values on one line leave the result to
    the hypervisor's parsing order. dom0_mem sets dom0's own memory (contradiction C-65:
    the translation at lines 4602 and 4606 reads as if both mem and dom0_mem limited the
    hypervisor), so it must leave room for the guests: with all of RAM in dom0 nothing is
    left to start a guest.

    Example:
        host x { hypervisor xen; memory 8G; dom0 memory 2G; grub xen-args "dom0_mem=1G" }

    Fix: keep one of them, preferably `dom0 memory`, below the host's RAM.
    """

    code, name, severity = "VB105", "dom0-boot-settings", Severity.ERROR
    checklist, section, lines = ("BOOT-06", "BOOT-07"), "§32.5", "4594-4597, 4602-4608, 5111, 5465"
    scope = Scope.HOST
    when = ("dom0_memory_kib", "grub.xen_args")
    hypervisors = ("xen",)
    uses = ("boot.memory_suffixes",)

    def host(self, h: Host, guests):
        if h.hypervisor != "xen":
            return
        grub = _grub_span(h)
        mem_span = h.fields.get("dom0_memory") or h.span
        xen_mem = _last(h.grub.xen_args, "dom0_mem")
        xen_kib = None
        if xen_mem:
            state, xen_kib = hypervisor_size(xen_mem, self.limit("boot.memory_suffixes").value)
            if state == "bad":
                xen_kib = None
        if xen_kib is not None and h.dom0_memory_kib:
            same = xen_kib == h.dom0_memory_kib
            yield self.report(
                f"host {h.name} states dom0's memory twice: `dom0 memory {format_kib(h.dom0_memory_kib)}` and "
                f"dom0_mem={xen_mem} in grub xen-args" + ("" if same else ", which disagree"), grub,
                h.owner, severity=Severity.WARNING if same else None,
                related=(Related(mem_span, "dom0 memory stated here"),),
                hint="remove dom0_mem from grub xen-args; virtc writes it from `dom0 memory`")
        xen_cpus = _last(h.grub.xen_args, "dom0_max_vcpus")
        if xen_cpus and is_number(xen_cpus) and h.dom0_vcpus:
            same = int(xen_cpus) == h.dom0_vcpus
            yield self.report(
                f"host {h.name} states dom0's vCPUs twice: `dom0 vcpus {h.dom0_vcpus}` and "
                f"dom0_max_vcpus={xen_cpus} in grub xen-args" + ("" if same else ", which disagree"), grub,
                h.owner, severity=Severity.WARNING if same else None,
                related=(Related(h.fields.get("dom0_vcpus") or h.span, "dom0 vcpus stated here"),),
                hint="remove dom0_max_vcpus from grub xen-args; virtc writes it from `dom0 vcpus`")
        dom0 = h.dom0_memory_kib or xen_kib
        if dom0 and h.memory_kib and dom0 >= h.memory_kib:
            where = mem_span if h.dom0_memory_kib else grub
            yield self.report(
                f"dom0 of host {h.name} gets {format_kib(dom0)} but the host has {format_kib(h.memory_kib)} of "
                "RAM; nothing is left for guests", where, h.owner,
                related=(Related(h.fields.get("memory") or h.span, "host memory stated here"),),
                hint="give dom0 a share well below the host's memory (the guide's examples use 256M-2G)")


class SerialConsoleConsistency(Rule):
    """The hypervisor's serial port, dom0's console and GRUB's serial settings agree.

    What it checks: on an x86 Xen host,
    a com1=/com2= port in `grub xen-args` without a serial console for dom0 in
    `grub args` (console=ttyS0, or console=xvc as in the guide's other example, C-31);
    com2 without console=com2L on the xen line; `grub serial` naming one port while
    xen-args configure another, or a different speed; dom0's console=ttyS0,SPEED at
    another speed than the port; and serial speeds that are not standard UART rates.

    Why: "By default, the serial console for the Xen hypervisor is disabled" (§34.11.1,
    line 5843). For com1 the guide adds com1=115200,8n1 on the xen line and
    console=tty0 console=ttyS0,115200 on dom0's line (line 5845); for com2 it adds
    com2=115200,8n1 console=com2L, and dom0 still uses console=ttyS0, which "is Xen-specific
    behaviour" (lines 5852-5860). Speeds in the guide are 115200, 38400 (§34.6, line
    5784) and 9600 (line 4653).

    Contradiction C-31: §34.6 (line 5788) sets dom0's console with console=xvc
    xencons=xvc, while its explanation (line 5790) talks of console=ttyS0. Both send
    dom0's messages to the serial port through the hypervisor, so either is accepted.

    Example:
        grub xen-args "com2=115200,8n1"     # and nothing else

    Fix: `grub serial com2 speed 115200` (virtc writes the matching lines), or add
    console=com2L to xen-args and console=tty0 console=ttyS0,115200 to `grub args`.
    """

    code, name, severity = "VB106", "serial-console-consistency", Severity.WARNING
    checklist, section, lines = ("BOOT-08", "BOOT-10"), "§34.11.1", "4653, 5784-5790, 5843-5860"
    scope = Scope.HOST
    when = ("grub.serial_speed", "grub.xen_args")
    hypervisors = ("xen",)
    uses = ("boot.serial_speeds", "boot.xen_console_values")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen":
            return
        span = _grub_span(h)
        speeds = self.limit("boot.serial_speeds")
        if h.grub.serial_speed is not None and h.grub.serial_speed not in speeds.value:
            yield self.report(f"grub serial speed {h.grub.serial_speed} of host {h.name} is not a standard "
                              "serial rate", span, h.owner, limit=speeds,
                              hint=f"use one of {', '.join(map(str, speeds.value))}")
        ports = {n: v for n, v, _ in _options(h.grub.xen_args) if n in ("com1", "com2") and v}
        for port, value in ports.items():
            baud = value.split(",")[0]
            if is_number(baud) and int(baud) not in speeds.value:
                yield self.report(f"{port}={value} in grub xen-args of host {h.name}: {baud} is not a standard "
                                  "serial rate", span, h.owner, limit=speeds)
        if h.grub.serial:
            for port, value in ports.items():
                baud = value.split(",")[0]
                if port != h.grub.serial:
                    yield self.report(f"host {h.name} has `grub serial {h.grub.serial}` but its xen-args "
                                      f"configure {port}={value}", span, h.owner,
                                      hint=f"drop {port}= from xen-args or write `grub serial {port}`")
                elif h.grub.serial_speed and is_number(baud) and int(baud) != h.grub.serial_speed:
                    yield self.report(f"host {h.name} has `grub serial {port} speed {h.grub.serial_speed}` but "
                                      f"xen-args set {port}={value}", span, h.owner,
                                      hint=f"drop {port}= from xen-args; virtc writes it from `grub serial`")
            return
        if not ports or h.arch == "ia64":
            return  # ELILO: VB108
        consoles = [v for n, v, _ in _options(h.grub.args) if n == "console" and v]
        serial = [c for c in consoles if c.startswith(("ttyS", "xvc"))]
        port, value = next(iter(ports.items()))
        baud = value.split(",")[0]
        if not serial:
            yield self.report(f"host {h.name} sends the hypervisor's console to {port} but dom0's kernel "
                              "messages do not follow: grub args has no console=ttyS0", span, h.owner,
                              hint=f"add console=tty0 console=ttyS0,{baud if is_number(baud) else speeds.value[-1]} "
                                   "to `grub args`, or use `grub serial`")
        for c in serial:
            speed = c.partition(",")[-1]
            if speed and is_number(baud) and speed != baud:
                yield self.report(f"dom0's console={c} of host {h.name} runs at {speed} but {port} is set to "
                                  f"{baud}", span, h.owner, hint=f"write console={c.split(',')[0]},{baud}")
        if "com2" in ports:
            xen_console = _last(h.grub.xen_args, "console") or ""
            if "com2" not in xen_console:
                yield self.report(f"host {h.name} configures com2 but the hypervisor's console= does not "
                                  "name it", span, h.owner, hint="add console=com2L to `grub xen-args`")


class SerialDeviceName(Rule):
    """Serial console device names on kernel command lines are spelt ttyS0 (or xvc0 on PV guests).

    What it checks: `console=` on the host's `grub args` and on guests' kernel command
    lines (`kernel-args`, `kernel ... args`): the lower-case ttys0 (an error); a space
    around "=" (`console =ttyS0`, an error); on a para-virtualized guest, console=ttyS0,
    which it does not have (its console is xvc0); on a fully virtualized guest,
    console=xvc0, which only PV kernels provide (both warnings).

    Why: "On Linux the serial port is called ttyS0; on Windows COM1" (§34.11.3, line
    5892); a PV guest's console is set with console=xvc0 (§34.11.2, lines 5862-5873),
    a fully virtualized guest's with console=tty0 console=ttyS0,115200 (§34.8, line 5806;
    §34.11.3, line 5894). Device names are case-sensitive: ttys0 does not exist, and the
    kernel ignores the option.

    Contradiction C-32: the guide's own HVM example writes "console=tty0
    console=ttys0,115200" (lines 5894, 5898) and §34.8 writes "console =ttyS0" with a
    stray space (line 5806), against its statement that the device is ttyS0 (line 5892).
    The statement is followed.

    Example:
        kernel-args "console=tty0 console=ttys0,115200"

    Fix: `console=ttyS0,115200` (xvc0 on PV guests).
    """

    code, name, severity = "VB107", "serial-device-name", Severity.ERROR
    checklist, section, lines = ("BOOT-13", "BOOT-11"), "§34.11.3", "5806, 5862-5873, 5892-5899"
    scope = Scope.FLEET

    def fleet(self):
        for h in self.ctx.model.hosts:
            if not h.grub.args:
                continue  # no words to check (most hosts of a .virt file): spares the span and the text
            yield from self.check(h.grub.args, None, _grub_span(h), h.owner, f"grub args of host {h.name}")
        for g in self.ctx.model.guests:
            if not g.boot.cmdline:
                continue  # no words to check (most guests): spares looking up the span
            span = g.fields.get("kernel-args") or g.fields.get("kernel") or g.span
            yield from self.check(g.boot.cmdline, g, span, g.owner, f"kernel command line of guest {g.name}")

    def check(self, text: str | None, g: Guest | None, span: Span, path: Owner, where: str):
        words = _tokens(text)
        for i, word in enumerate(words):
            name, value = _option(word)
            following = words[i + 1] if i + 1 < len(words) else ""
            if (word == "console" and following.startswith("=")) or word == "console=":
                yield self.report(f"'console =' in the {where} has a space around '='; the kernel sees two "
                                  "unrelated words", span, path, hint="write console=ttyS0,115200 without spaces")
                continue
            if name != "console" or not value:
                continue
            device = value.split(",")[0]
            if re.fullmatch(r"ttys[0-9]+", device):
                yield self.report(f"console={value} in the {where}: the device is {device.replace('ttys', 'ttyS')} "
                                  "(capital S); ttys does not exist", span, path,
                                  hint=f"write console={value.replace('ttys', 'ttyS', 1)}")
            elif g is not None and g.type == "xen-pv" and device.startswith("ttyS"):
                yield self.report(f"console={value} in the {where}: a para-virtualized guest has no serial port; "
                                  "its console is xvc0", span, path, severity=Severity.WARNING,
                                  hint="write console=xvc0")
            elif g is not None and g.is_hvm and device.startswith("xvc"):
                yield self.report(f"console={value} in the {where}: xvc0 exists only in para-virtualized kernels; "
                                  "a fully virtualized guest's serial port is ttyS0", span, path,
                                  severity=Severity.WARNING, hint="write console=tty0 console=ttyS0,115200")


class EliloAppend(Rule):
    """On Itanium (ELILO) the arguments fit ELILO's append= line.

    What it checks: on an ia64 Xen host, where virtc writes one `append="XEN-ARGS --
    ARGS"` line from `grub xen-args` and `grub args`: a `--` inside either (an error: the
    separator is written once, and another moves options to the wrong side); console= in
    xen-args (a warning: omit it); and `grub root (hdX,Y)`, which has no place in an
    ELILO stanza (a warning).

    Why: ELILO's stanza has image=, vmm=, label=, initrd=, read-only, root= and append=
    (§29, lines 4630-4638); "First the hypervisor arguments, then the -- separator, then
    the kernel arguments" (line 4641), and the "--" stays even with no kernel arguments
    (append="dom0_mem=2G dom0_max_vcpus=2 --", lines 4667-4668). console= "should be
    omitted because the hypervisor tries to inherit the EFI console settings" (line 4655).
    To use the hypervisor's serial console on Itanium it is enabled in ELILO (§34.6,
    line 5794): com1= in xen-args, unless it is set globally in ELILO or EFI (line 4653).

    Example:
        host ia { hypervisor xen; arch ia64; grub xen-args "dom0_mem=2G -- quiet" }

    Fix: `grub xen-args "dom0_mem=2G"` and `grub args "quiet"`; leave console= out.
    """

    code, name, severity = "VB108", "elilo-host-arguments", Severity.ERROR
    checklist, section, lines = ("BOOT-14", "BOOT-15", "BOOT-18", "BOOT-19"), "§29", \
        "4630-4668, 5794"
    scope = Scope.HOST
    when = ("grub.xen_args", "grub.args", "grub.root")
    hypervisors = ("xen",)

    def host(self, h: Host, guests):
        if h.arch != "ia64" or h.hypervisor != "xen":
            return
        span = _grub_span(h)
        for label, text in (("grub xen-args", h.grub.xen_args), ("grub args", h.grub.args)):
            if "--" in _tokens(text):
                yield self.report(f"{label} of Itanium host {h.name} contains '--'; virtc writes ELILO's "
                                  "append= as XEN-ARGS -- ARGS itself", span, h.owner,
                                  hint="put hypervisor options in `grub xen-args` and dom0's in `grub args`, "
                                       "without '--'")
        for name, value, token in _options(h.grub.xen_args):
            if name == "console":
                yield self.report(f"{token} in grub xen-args of Itanium host {h.name}: ELILO's hypervisor "
                                  "inherits the EFI console; leave console= out", span, h.owner,
                                  severity=Severity.WARNING,
                                  hint="for a serial console give com1=<baud>,8n1 (unless EFI sets it globally)")
        if h.grub.root:
            yield self.report(f"Itanium host {h.name} states `grub root {h.grub.root}`; ELILO stanzas have no "
                              "GRUB root device", span, h.owner, severity=Severity.WARNING,
                              hint="remove `root`; `rootfs` gives ELILO's root=")


class PvBootLoader(Rule):
    """Para-virtualized guests boot through pygrub or a kernel; boot loaders are for PV guests only.

    What it checks: a Xen PV guest with neither a boot loader nor a kernel (possible in
    configurations read from files; the language gives PV guests pygrub by default); a
    PV guest whose boot loader is not /usr/bin/pygrub (a warning); and a fully
    virtualized Xen guest with a `bootloader`, which it does not use (a warning): it
    boots hvmloader and its boot order. (A KVM guest with pygrub is VG101's.)

    Why: PV guests are configured with bootloader = "/usr/bin/pygrub" (§34.12, line 5923;
    libvirt `<bootloader>/usr/bin/pygrub</bootloader>`, §25, line 4103). xm needs either a
    boot loader or a kernel (`bootloader=FILE`, `kernel=FILE`, §31, lines 4711-4714).

    Example:
        guest w { type xen-hvm; memory 1G; bootloader pygrub; disk hda "/var/lib/libvirt/images/w.img" }

    Fix: `bootloader pygrub` on PV guests only; HVM guests use `boot hd cdrom`.
    """

    code, name, severity = "VB109", "pv-boot-loader", Severity.ERROR
    checklist, section, lines = ("BOOT-24",), "§34.12", "4103, 4711-4714, 5923"
    uses = ("boot.pv_boot_loaders",)

    def guest(self, g: Guest):
        loaders = self.limit("boot.pv_boot_loaders")
        span = g.fields.get("bootloader") or g.span
        if g.type == "xen-pv":
            if not g.boot.bootloader and not g.boot.kernel:
                yield self.report(f"PV guest {g.name} has neither a boot loader nor a kernel", g.span,
                                  g.owner, limit=loaders, hint="write `bootloader pygrub`")
            elif (g.boot.bootloader and g.boot.bootloader not in loaders.value
                  and self.ctx.host_of(g).later_system is None):  # a later Xen's pygrub lives elsewhere
                yield self.report(f"PV guest {g.name} boots with {g.boot.bootloader}; RHEL 5's PV boot loader is "
                                  f"{' or '.join(loaders.value)}", span, g.owner, limit=loaders,
                                  severity=Severity.WARNING, hint="write `bootloader pygrub`")
        elif g.type == "xen-hvm" and g.boot.bootloader:
            yield self.report(f"fully virtualized Xen guest {g.name} states a boot loader ({g.boot.bootloader}), which "
                              "only PV guests use", span, g.owner, severity=Severity.WARNING,
                              hint="remove `bootloader`; set the boot order with `boot hd cdrom`")
