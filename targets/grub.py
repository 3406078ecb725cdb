"""GRUB legacy (grub.conf / menu.lst): reading existing files into documents.

Writing host boot entries is the host-files issue; this module already owns the format's
other direction. A document entry is one command line: key = command, value = its
arguments, group = the number of the `title` block it belongs to (-1 before the first).
"""
from __future__ import annotations

import re

from virtc.documents import Document, Entry

# Commands written `name=value` in grub.conf (anaconda writes default=0, timeout=5 ...).
_ASSIGNABLE = frozenset(("default", "timeout", "fallback", "splashimage", "password", "color",
                         "hiddenmenu", "gfxmenu"))
_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<cmd>[^\s=]+)(?P<sep>[ \t]*=?[ \t]*)(?P<args>.*?)[ \t]*$")


def parse_document(src) -> tuple[Document, list]:
    entries = []
    group = -1
    for start, body in src.lines():
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(body)
        cmd = m.group("cmd")
        if "=" in m.group("sep") and cmd not in _ASSIGNABLE:
            cmd = stripped.split()[0]  # "console=ttyS0,115200": an argument, not a command
        if cmd == "title":
            group += 1
        cmd_start = start + len(m.group("indent"))
        args_start = cmd_start + len(m.group("cmd")) + len(m.group("sep"))
        span = src.span(cmd_start, start + len(body.rstrip()))
        entries.append(Entry(cmd, m.group("args") if cmd == m.group("cmd") else "", span,
                             src.span(cmd_start, cmd_start + len(cmd)),
                             src.span(args_start, max(args_start + 1, start + len(body.rstrip()))),
                             group=group))
    return Document("grub", src.path, tuple(entries)), []


# ---------------------------------------------------------------- writing

NAME = "grub"
DEFAULT_ROOT = "(hd0,0)"
DEFAULT_ROOTFS = "/dev/VolGroup00/LogVol00"
HEADER = ("# Written by virtc. The `title` entry below is the one to copy into /boot/grub/grub.conf\n"
          "# (/etc/grub.conf links to it); keep your other entries and make `default=` point at\n"
          "# this one (entries count from 0).\n")


def emit(model) -> list:
    from virtc.targets import Artifact

    out = []
    for h in model.hosts:
        if not h.kernel:
            continue
        if h.arch == "ia64":
            out.append(Artifact(f"{h.name}/boot/efi/efi/redhat/elilo.conf", elilo_conf(h), source=h.path_label))
        else:
            out.append(Artifact(f"{h.name}/boot/grub/grub.conf", host_grub_conf(h), source=h.path_label))
    for g in model.guests:
        text = guest_grub_conf(g)
        if text:
            out.append(Artifact(f"guests/{g.name}/boot/grub/grub.conf", text, source=g.path_label))
    return out


def _size(kib: int) -> str:
    from virtc.units import format_kib

    return format_kib(kib)


def _serial(h):
    """(grub header lines, hypervisor args, kernel console args) for the host's serial console."""
    if not h.grub.serial:
        return [], [], []
    speed = h.grub.serial_speed or 115200
    unit = int(h.grub.serial[-1]) - 1
    header = [f"serial --unit={unit} --speed={speed} --word=8 --parity=no --stop=1",
              "terminal --timeout=10 serial console"]
    xen = [f"{h.grub.serial}={speed},8n1"] + (["console=com2L"] if h.grub.serial == "com2" else [])
    # dom0 sees the port as ttyS0 whichever COM port Xen uses (guide §34.11.1, line 5860).
    tty = "ttyS0" if h.hypervisor == "xen" else f"ttyS{unit}"
    return header, xen, ["console=tty0", f"console={tty},{speed}"]


def host_grub_conf(h) -> str:
    header, xen_serial, console = _serial(h)
    v = h.kernel
    root = h.grub.root or DEFAULT_ROOT
    rootfs = h.grub.rootfs or DEFAULT_ROOTFS
    lines = [HEADER.rstrip("\n"), "default=0", "timeout=5"]
    if not header:
        lines += ["splashimage=" + root + "/grub/splash.xpm.gz", "hiddenmenu"]
    lines += header
    if h.hypervisor == "xen":
        base = v[: -len("xen")] if v.endswith("xen") else v
        xen_args = []
        if h.dom0_memory_kib:
            xen_args.append(f"dom0_mem={_size(h.dom0_memory_kib)}")
        if h.dom0_vcpus:
            xen_args.append(f"dom0_max_vcpus={h.dom0_vcpus}")
        xen_args += xen_serial + (h.grub.xen_args or "").split()
        dom0 = ["ro", f"root={rootfs}"] + console + (h.grub.args or "").split()
        lines += [f"title Red Hat Enterprise Linux Server ({base}xen)",
                  f"\troot {root}",
                  " ".join([f"\tkernel /xen.gz-{base}"] + xen_args),
                  " ".join([f"\tmodule /vmlinuz-{base}xen"] + dom0),
                  f"\tmodule /initrd-{base}xen.img"]
    else:
        args = ["ro", f"root={rootfs}"] + console + (h.grub.args or "").split()
        lines += [f"title Red Hat Enterprise Linux Server ({v})",
                  f"\troot {root}",
                  " ".join([f"\tkernel /vmlinuz-{v}"] + args),
                  f"\tinitrd /initrd-{v}.img"]
    return "\n".join(lines) + "\n"


def elilo_conf(h) -> str:
    """An Itanium host's ELILO stanza (guide §29): hypervisor options before `--`."""
    v = h.kernel
    base = v[: -len("xen")] if v.endswith("xen") else v
    rootfs = h.grub.rootfs or DEFAULT_ROOTFS
    hyp = []
    if h.dom0_memory_kib:
        hyp.append(f"dom0_mem={_size(h.dom0_memory_kib)}")
    if h.dom0_vcpus:
        hyp.append(f"dom0_max_vcpus={h.dom0_vcpus}")
    hyp += (h.grub.xen_args or "").split()
    kernel = (h.grub.args or "").split()
    append = " ".join(hyp + ["--"] + kernel)
    return ("# Written by virtc: the image stanza for elilo.conf on the EFI boot partition\n"
            "# (/etc/elilo.conf links to it).\n"
            f"image=vmlinuz-{base}xen\n"
            f"\tvmm=xen.gz-{base}\n"
            "\tlabel=linux\n"
            f"\tinitrd=initrd-{base}xen.img\n"
            "\tread-only\n"
            f"\troot={rootfs}\n"
            f'\tappend="{append}"\n')


def guest_grub_conf(g) -> str | None:
    """The entry of a Linux guest's own grub.conf, with the arguments its kernel needs
    (clock arguments of §16, serial console of §34.11), for guests that boot their own
    kernel and state its version (`os-kernel`)."""
    if g.boot.kernel or not g.kernel_release or not g.os or g.os.family not in ("rhel", "fedora"):
        return None
    v = g.kernel_release
    if g.kernel_variant and not v.endswith(g.kernel_variant):
        v += g.kernel_variant
    elif g.type == "xen-pv" and not v.endswith("xen"):
        v += "xen"
    console = []
    if g.serials:
        console = ["console=xvc0"] if g.type == "xen-pv" else ["console=tty0", "console=ttyS0,115200"]
    args = ["ro", f"root={DEFAULT_ROOTFS}"] + console + [a for a in (g.boot.cmdline or "").split()
                                                          if a not in console]
    return ("# Written by virtc: the entry for /boot/grub/grub.conf inside guest "
            f"{g.name}.\n"
            "default=0\n"
            "timeout=5\n"
            f"title Red Hat Enterprise Linux ({v})\n"
            f"\troot {DEFAULT_ROOT}\n"
            f"\tkernel /vmlinuz-{v} {' '.join(args)}\n"
            f"\tinitrd /initrd-{v}.img\n")
