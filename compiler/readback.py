"""Existing files read back into pieces of the model.

Every target module owns `read(text, path) -> Found`: what one existing file says, in
model terms. A file says something about its host (a grub.conf gives the kernel and
dom0_mem, an ifcfg file a bridge, capabilities XML the CPU and RAM) and/or describes
guests (an xm config or a domain XML). `virtc lint` and `virtc import` gather the Found
of every file of one host and `assemble()` makes one Host and its guests from them, so
the ordinary rules check existing files exactly as they check .virt files.

Readers never execute anything and never raise on bad input: they return what they
could read plus diagnostics at file:line:col. A construct virtc does not model is one
info diagnostic (VF003) naming it, never silence.

Keys of Found.host that are not Host fields (assemble() skips them; lint.py reads them):
kernel_kind ("xen"|"linux", grub/elilo: hypervisor inference); boot_derived ({"args": (...),
"xen_args": (...)}: boot words read as facts (iommu switches, processor.max_cstate=1) that
grub.restore_derived(host, founds) puts back after derive()); guest_boot ({guest: (kernel
release, cmdline, span)}, a guests/NAME/boot/grub/grub.conf) and guest_variant ({guest:
variant}); ifcfg (one IfcfgFile per ifcfg file; ifcfg.bridges(founds) pairs them into Bridges);
cpu_counts ((sockets, cores, threads, MHz) from `xm info` or `virsh nodeinfo`, filling what
the CPU of a capabilities XML does not say); autostart ((guest|network|pool, name) links).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from .diagnostics import Diagnostic, Related, error, info
from .documents import Document
from .frozen import replace
from .model import Boot, Cpu, FieldSpans, GrubSettings, Guest, Host
from .source import SourceFile, Span

# Host fields that hold several elements: the pieces of all files are concatenated.
HOST_TUPLES = ("bridges", "networks", "luns", "image_dirs", "shared", "numa", "services_on",
               "services_off", "sysctl", "packages", "xend", "exports", "sebools", "modprobe",
               "pools", "iscsi_targets", "multipath_blacklist", "libvirtd")


@dataclass
class Found:
    """What one existing file says. `host` maps Host field names to values: scalars are
    set (a later file overrides an earlier one only where this one states the field),
    tuple fields (HOST_TUPLES) are extended. `spans` says where the file states each
    field. Guests have host="" until assemble() places them."""

    source: SourceFile
    format: str
    document: Document | None = None
    guests: list[Guest] = field(default_factory=list)
    host: dict[str, object] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # what in the file only a program later than RHEL 5's writes (libvirt 0.9.11's
    # `<memory unit='KiB'>`), and where: evidence that the host is a later system
    later: tuple[str, Span] | None = None

    def set(self, name: str, value, span: Span | None) -> None:
        self.host[name] = value
        if span is not None:
            self.spans[name] = span

    def add(self, name: str, *items) -> None:
        assert name in HOST_TUPLES, name
        self.host[name] = tuple(self.host.get(name, ())) + tuple(items)

    def ignored(self, what: str, span: Span | None, hint: str | None = None) -> None:
        """A construct virtc does not model: say once what was ignored."""
        self.diagnostics.append(info("VF003", f"{what} is not modelled by virtc; ignored", span,
                                     hint=hint or "rules do not check it, and `virtc import` drops it"))


def whole_file(src: SourceFile) -> Span:
    """The span of a file's first line: where file-wide findings point."""
    first = src.text.split("\n", 1)[0]
    return src.span(0, max(1, len(first)))


def new_guest(name: str, type: str, span: Span, **kw) -> Guest:
    """A Guest with the model's defaults for everything a file did not say."""
    base = dict(name=name, host="", type=type, arch="x86_64", pae=False, os=None,
                memory_kib=0, maxmem_kib=0, vcpus=1, max_vcpus=1, cpuset=None, disks=(), nics=(),
                pci=(), graphics=(), serials=(),
                boot=Boot(None, None, None, None, None, ()), clock="utc",
                on_poweroff="destroy", on_reboot="restart", on_crash="restart", uuid="",
                uuid_auto=False, autostart=False, pv_drivers=False, features=(), sound=None,
                usb=(), description=None, span=span, expansion=None)
    base.update(kw)
    if not base["maxmem_kib"]:
        base["maxmem_kib"] = base["memory_kib"]
    return Guest(**base)


def field_spans(spans: dict[str, Span]) -> FieldSpans:
    return FieldSpans(tuple(sorted(spans.items())))


# ---------------------------------------------------------------- assembling one host

HOST_DEFAULTS = dict(arch="x86_64", release=None, cpu=Cpu(None, None, None, None, ()), memory_kib=None,
                     swap_kib=None, dom0_memory_kib=None, dom0_vcpus=None, kernel=None, iommu=False,
                     selinux=None, migration=None, grub=GrubSettings(None, None, None, None, None))


def assemble(name: str, found: list[Found], span: Span) -> tuple[Host, list[Guest], list[Diagnostic]]:
    """One Host and its guests from the files of one host. A guest described by both an
    xm config and a domain XML (xend keeps both) is one guest: the first file read wins,
    and the other is only checked at the format level."""
    values: dict[str, object] = dict(HOST_DEFAULTS)
    spans: dict[str, Span] = {}
    tuples: dict[str, tuple] = {k: () for k in HOST_TUPLES}
    described: dict[str, list[tuple[str, Guest]]] = {}
    diags: list[Diagnostic] = []
    for f in found:
        for key, value in f.host.items():
            if key in HOST_TUPLES:
                tuples[key] += tuple(value)
            else:
                values[key] = value
        spans.update(f.spans)
        for g in f.guests:
            described.setdefault(g.name, []).append((f.format, g))
    guests: list[Guest] = []
    for versions in described.values():
        one, extra = _one_guest(versions)
        guests.append(one)
        for g in extra:  # another file names the same guest: both are checked, and that is a finding
            guests.append(g)
            diags.append(error("VF010", f"guest {g.name} is defined twice on host {name}: xend and libvirt "
                                        "keep one guest per name, so only one of the files takes effect",
                               g.fields.get("name") or g.span,
                               related=(Related(one.fields.get("name") or one.span, "first defined here"),),
                               hint="give each guest its own name (and UUID), or remove the stale copy"))
    hyper = values.get("hypervisor") or _infer_hypervisor(guests, found)
    values["hypervisor"] = hyper
    counts = values.get("cpu_counts")
    if counts:  # `xm info` / `virsh nodeinfo`: what a capabilities XML left unknown
        cpu = values["cpu"]
        values["cpu"] = replace(cpu, sockets=cpu.sockets or counts[0], cores=cpu.cores or counts[1],
                                threads=cpu.threads or counts[2], mhz=cpu.mhz or counts[3])
    known = {f.name for f in fields(Host)}
    kw = {k: v for k, v in values.items() if k in known}
    kw.update(tuples)
    for key in ("bridges", "networks", "luns"):  # each names its host once the host is known
        kw[key] = tuple(replace(x, owner=x.owner.on(name)) for x in kw[key])
    host = Host(name=name, bridges=kw.pop("bridges"), networks=kw.pop("networks"), luns=kw.pop("luns"),
                image_dirs=kw.pop("image_dirs"), shared=kw.pop("shared"), span=span,
                fields=field_spans(spans), **kw)
    placed = [with_host_arch(place(g, name), host) for g in guests]
    return host, placed, diags


def with_host_arch(g: Guest, host: Host) -> Guest:
    """A guest whose file names no architecture (an xm config never does) on an ia64 or
    i686 host has the host's: an Itanium host's guests are ia64, not the model's default
    x86_64. On an x86_64 host a guest may be 32- or 64-bit, so the default stays."""
    if g.fields.get("arch") is None and g.arch != host.arch and host.arch != "x86_64":
        return replace(g, arch=host.arch, pae="pae" in g.features or host.arch in ("x86_64", "ia64"))
    return g


def place(g: Guest, host: str) -> Guest:
    """A guest read from a file, on the host it was found on: its devices say so too. (The
    replace of the model's @frozen objects, not dataclasses': 3x faster, 5 per guest read.)"""
    return replace(g, host=host, disks=tuple(replace(d, owner=d.owner.on(host)) for d in g.disks),
                   nics=tuple(replace(n, owner=n.owner.on(host)) for n in g.nics),
                   pci=tuple(replace(p, owner=p.owner.on(host)) for p in g.pci))


def _one_guest(versions: list[tuple[str, Guest]]) -> tuple[Guest, list[Guest]]:
    """A guest described by several files, and the guests of the same name that are not
    it. An xm config and a domain XML of one Xen guest are one guest (xend keeps both): the
    xm config wins, as what xend starts the guest from and what holds what RHEL 5's
    libvirt XML cannot (a vif `rate`); the architecture, which an xm config never states,
    comes from the XML. A second xm config (or XML) of the name is another guest."""
    xm = [g for fmt, g in versions if fmt == "xm"]
    xml = [g for fmt, g in versions if fmt != "xm"]
    if xm and xml:
        return replace(xm[0], arch=xml[0].arch, pae=xml[0].pae,
                       fields=field_spans({**dict(xm[0].fields.items), "arch": xml[0].fields.get("arch")}
                                          if xml[0].fields.get("arch") else dict(xm[0].fields.items))), \
            xm[1:] + xml[1:]
    first = versions[0][1]
    return first, [g for _, g in versions[1:]]


def _infer_hypervisor(guests: list[Guest], found: list[Found]) -> str:
    """Xen when anything on the host is Xen's (an xm config, a Xen guest, xen.gz in grub);
    KVM otherwise."""
    if any(g.is_xen for g in guests) or any(f.format in ("xm", "xend") for f in found):
        return "xen"
    if any(g.type == "kvm" for g in guests):
        return "kvm"
    return "xen" if any(f.host.get("kernel_kind") == "xen" for f in found) else "kvm"
