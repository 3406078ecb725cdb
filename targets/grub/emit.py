"""Writing GRUB legacy entries: a host's boot entry (the hypervisor's options on the
xen.gz line, dom0's on the module line, serial console settings) and the entry inside a
Linux guest's own grub.conf (the clock and console arguments its kernel needs)."""
from __future__ import annotations

from virtc.units import format_kib

from ..bootline import DEFAULT_ROOT, DEFAULT_ROOTFS
from ..format import Artifact

HEADER = ("# Written by virtc. The `title` entry below is the one to copy into /boot/grub/grub.conf\n"
          "# (/etc/grub.conf links to it); keep your other entries and make `default=` point at\n"
          "# this one (entries count from 0).\n")


def emit(model) -> list[Artifact]:
    """The boot entry of each host that states its kernel (Itanium hosts boot with ELILO)."""
    return [Artifact(f"{h.name}/boot/grub/grub.conf", host_grub_conf(h), source=h.owner)
            for h in model.hosts if h.kernel and h.arch != "ia64"]


def emit_guests(model) -> list[Artifact]:
    """guests/NAME/boot/grub/grub.conf: the entry to copy into each Linux guest."""
    out = []
    for g in model.guests:
        text = guest_grub_conf(g)
        if text:
            out.append(Artifact(f"guests/{g.name}/boot/grub/grub.conf", text, source=g.owner))
    return out


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
            xen_args.append(f"dom0_mem={format_kib(h.dom0_memory_kib)}")
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
    words = (g.boot.cmdline or "").split()
    # a root= of the guest's own (root=LABEL=/, root=UUID=...) replaces virtc's default;
    # the kernel reads the last one
    roots = [a for a in words if a.startswith("root=") and len(a) > len("root=")]
    root = roots[-1] if roots else f"root={DEFAULT_ROOTFS}"
    args = ["ro", root] + console + [a for a in words if a not in console and a != "ro" and a not in roots]
    return ("# Written by virtc: the entry for /boot/grub/grub.conf inside guest "
            f"{g.name}.\n"
            "default=0\n"
            "timeout=5\n"
            f"title Red Hat Enterprise Linux ({v})\n"
            f"\troot {DEFAULT_ROOT}\n"
            f"\tkernel /vmlinuz-{v} {' '.join(args)}\n"
            f"\tinitrd /initrd-{v}.img\n")
