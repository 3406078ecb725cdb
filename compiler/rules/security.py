"""Security rules (checklist area SEC): SELinux labels and booleans, host hardening."""
from __future__ import annotations

import ipaddress
import posixpath
from urllib.parse import urlsplit


from ..diagnostics import Related, Severity
from ..model import Disk, Firewall, Guest, Host, ImageDir
from ..numbers import port_range
from .base import Rule, Scope
from .filecontexts import image_dir_of
from .host import own_span
from .xend import vnc_tls_on

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {
    "SEC-07": "no field: the file system of the volume that holds an image directory (e.g. "
              "`images \"/virtstorage\" label xen_image_t fs ext3`) would be needed to require extended attributes",
    "SEC-14": "no field: the host's user accounts (a host `users NAME...` statement) would be needed",
    "SEC-15": "no field: the applications a host runs besides virtualization (a host `role NAME...` "
              "statement) would be needed; the services it runs are VE110",
    "SEC-17": "operational: keep installation trees and images in one central place (usually the vsftpd server)",
    "SEC-19": "explain: unprivileged users get read-only virsh / virt-manager connections; root is needed to "
              "change anything",
}


# -- helpers shared by the rules of this area (and by management.py) -----------

def under(path: str, directory: str) -> bool:
    """path is directory itself or lies below it."""
    d = directory.rstrip("/")
    return path == d or path.startswith(d + "/") or not d


def selinux_mode(h: Host) -> str:
    """The host's SELinux mode; a host that does not say runs RHEL's default, enforcing."""
    return h.selinux or "enforcing"


def selinux_shown(h: Host) -> str:
    return f"SELinux {h.selinux}" if h.selinux else "SELinux enforcing (the RHEL default)"


def port_open(fw: Firewall | None, port: int, proto: str) -> bool:
    """Whether the host firewall lets port/proto in. No declared firewall: not known, so open."""
    if fw is None or fw.enabled is False or fw.policy == "accept":
        return True
    for item in fw.open:
        ports, _, p = item.partition("/")
        if p != proto:
            continue
        span = port_range(ports)  # None past bounds.py's port: it opens nothing
        if span is not None and span[0] <= port <= span[1]:
            return True
    return False


def nfs_mount(h: Host, path: str):
    """The host's NFS mount (shared storage or netfs pool) that holds path, if any."""
    for s in h.shared:
        if s.kind == "nfs" and under(path, s.path):
            return s
    for p in h.pools:
        if p.type == "netfs" and p.path and under(path, p.path):
            return p
    return None


class _ImageRule(Rule):
    """Shared classification of a guest's file-based images.

    The image rules (VE101, VE102, and VE104 for block devices) judge RHEL 5, whose
    libvirt and xend use images as they are labelled: not a host of a later system
    (Host.later_system), where libvirt's sVirt labels each image as its guest starts
    (RHEL 6 on), or that runs no SELinux at all (Debian's, SUSE's AppArmor)."""

    def classify(self, h: Host, d: Disk) -> tuple[str, ImageDir | None]:
        """'default' | 'labelled' | 'nfs' | 'wrong-type' | 'unlabelled', and the context that
        labels the image ('default': the policy's own label for images)."""
        types = set(self.limit("security.image_types").value.values())
        found = image_dir_of(h, d.path)
        in_default = any(under(d.path, x) for x in self.limit("security.default_image_dirs").value)
        if found is not None and found.label in types and (in_default or found.span is None):
            return "default", found  # the guide's directory, or one the policy labels for images
        if found is not None and found.span is None:
            found = None  # the policy's label, not an image type, and not the admin's doing: as if unlabelled
        if found is not None:
            return ("labelled" if found.label in types else "wrong-type"), found
        if nfs_mount(h, d.path) is not None:
            return "nfs", None
        return "unlabelled", None

    @staticmethod
    def file_images(g: Guest):
        return [d for d in g.disks if d.path and d.source_type == "file"]


class ImageUnlabelled(_ImageRule):
    """With SELinux on, a file-based image outside /var/lib/libvirt/images needs a labelled directory.

    What it checks: every file-based disk, CD-ROM and floppy image of a guest on a host
    whose SELinux is not disabled (a host that does not say runs RHEL's default,
    enforcing). The image must lie in /var/lib/libvirt/images (labelled by the policy), in
    a directory the host declares with `images "DIR" label TYPE` where TYPE is an image
    type (xen_image_t or virt_image_t), or on an NFS mount (which carries no per-file
    labels; the qemu_use_nfs boolean governs it, VE107).

    Why: "SELinux prevents guest images from loading if SELinux is enabled and the images
    are not correctly labeled. SELinux requires that image files have the virt_image_t
    label applied to them. The /var/lib/libvirt/images directory has this label applied to
    it and its contents by default" (§18.2, line 2960). "In the default configuration,
    other directory locations for file-based images are prohibited by SELinux. If you use a
    different directory you must label the new directory according to SELinux policy"
    (§7.2, line 767; also lines 434, 1093, 2940). For ISO images the guide is softer:
    "any other location may require additional configuration for SELinux" (§8.2, line
    1028; also 1086, 1196), so an unlabelled CD-ROM image is a warning. On a permissive
    host nothing is blocked yet, so the finding is a warning there too.

    Contradiction C-03: lines 1031 and 1199 say file-based images "must be stored in the
    /var/lib/libvirt/images/ directory", line 2960 that they "can be stored anywhere,
    provided they are labeled". The unambiguous reading (an unlabelled image fails to load)
    is this error; the stricter one (any other directory) is the warning VE102.

    Example:
        disk xvdb tap:aio "/srv/vm/db.img"      # no `images "/srv/vm" ...` on the host

    Fix: label the directory on the host (`semanage fcontext -a -t xen_image_t
    "/srv/vm(/.*)?"` and `restorecon -R /srv/vm`) and declare it, `images "/srv/vm" label
    xen_image_t`; or move the image to /var/lib/libvirt/images.
    """

    code, name, severity = "VE101", "image-unlabelled", Severity.ERROR
    facts = ("labels",)
    checklist, section, lines = ("SEC-01", "SEC-02", "SEC-04"), "§18.2", "434, 767, 1028, 1093, 2940, 2960"
    uses = ("security.default_image_dirs", "security.image_types")

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        if selinux_mode(h) == "disabled" or h.later_system is not None:
            return
        default = self.limit("security.default_image_dirs")
        want = self.limit("security.image_types").value[h.hypervisor]
        for d in self.file_images(g):
            status, found = self.classify(h, d)
            if status not in ("unlabelled", "wrong-type"):
                continue
            folder = posixpath.dirname(d.path)
            what = "ISO image" if d.device == "cdrom" else "image"
            if status == "wrong-type":
                where = f"lies in {found.path}, which host {h.name} labels {found.label}, not an image type"
                related = (Related(found.span, f"{found.path} labelled {found.label} here"),)
                folder = found.path
            else:
                where = (f"is outside {', '.join(default.value)} and no `images` directory of host "
                         f"{h.name} labels it")
                related = ()
            soft = d.device == "cdrom" or selinux_mode(h) == "permissive"
            yield self.report(
                f"{what} {d.path} of guest {g.name} {where}; with {selinux_shown(h)} the guest "
                "cannot open it", d.span, d.owner, related=related, limit=default,
                severity=Severity.WARNING if soft else None,
                hint=f'add `images "{folder}" label {want}` to host {h.name} (semanage fcontext -a -t '
                     f'{want} "{folder}(/.*)?"; restorecon -R {folder}), or move the image to {default.value[0]}')


class ImageOutsideDefaultDir(_ImageRule):
    """File-based images belong in /var/lib/libvirt/images, even when another directory is labelled.

    What it checks: file-based disk, CD-ROM and floppy images outside
    /var/lib/libvirt/images that VE101 does not already report (the directory is
    labelled, the image is on an NFS mount, or SELinux is disabled).

    Why: the guest installation procedures say "File-based images must be stored in the
    /var/lib/libvirt/images/ directory" (§8.2, line 1031; §8.5, line 1199) and recommend
    that directory for ISO images too (lines 1028, 1086, 1196); the server best practices
    say images "should be stored under /var/lib/libvirt/images/" (§17, line 2940).

    Contradiction C-03: line 2960 allows any labelled directory. That reading is the
    unambiguous one and is enforced by VE101; this stricter reading is a warning.

    Example:
        host h { ...; images "/srv/vm" label virt_image_t }
        disk vdb virtio "/srv/vm/data.img"

    Fix: keep images in /var/lib/libvirt/images (mount the volume there), or suppress the
    warning for a deliberately separate, labelled directory.
    """

    code, name, severity = "VE102", "image-outside-default-dir", Severity.WARNING
    checklist, section, lines = ("SEC-03", "SEC-04"), "§8.2", "1028, 1031, 1086, 1196, 1199, 2940"
    uses = ("security.default_image_dirs",)

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        if h.later_system is not None:
            return
        default = self.limit("security.default_image_dirs")
        for d in self.file_images(g):
            status, found = self.classify(h, d)
            if status == "default":
                continue
            if status in ("unlabelled", "wrong-type") and selinux_mode(h) != "disabled":
                continue  # VE101
            why = {"labelled": f"in the labelled directory {found.path if found else ''}",
                   "nfs": "on an NFS mount"}.get(status, "outside it")
            yield self.report(f"image {d.path} of guest {g.name} is not in {default.value[0]} ({why})",
                              d.span, d.owner, limit=default,
                              hint=f"store images in {default.value[0]}, e.g. by mounting the volume there")


class ImageLabelType(Rule):
    """An image directory's SELinux type matches the hypervisor: xen_image_t on Xen, virt_image_t on KVM.

    What it checks: each `images "DIR" label TYPE` of a host whose TYPE is an image type
    of the other hypervisor.

    Why: the LVM procedure labels Xen image folders "semanage fcontext -a -t xen_image_t"
    and, "for a KVM folder", "semanage fcontext -a -t virt_image_t" (§18.2, lines
    2974-2981); line 2960 says images need "the virt_image_t label".

    Contradiction C-04: line 2960 requires virt_image_t for every image, the Xen procedure
    (lines 2975, 2981, 2984, 2991) uses xen_image_t. xen_image_t on a KVM host is wrong
    under both readings (error); virt_image_t on a Xen host satisfies line 2960 but not
    the Xen procedure, so it is a warning. Labels that are not image types at all are
    reported by VE101 where an image lies in the directory.

    Example:
        host k { hypervisor kvm; images "/srv/vm" label xen_image_t }

    Fix: `label virt_image_t` on KVM hosts, `label xen_image_t` on Xen hosts.
    """

    code, name, severity = "VE103", "image-label-type", Severity.ERROR
    checklist, section, lines = ("SEC-05",), "§18.2", "2960, 2974-2981"
    scope = Scope.HOST
    when = ("image_dirs",)
    uses = ("security.image_types",)

    def host(self, h, guests):
        types = self.limit("security.image_types")
        want = types.value[h.hypervisor]
        other = {label: hyper for hyper, label in types.value.items() if label != want}
        for d in h.image_dirs:
            if d.label in other:
                yield self.report(
                    f"image directory {d.path} of {h.hypervisor} host {h.name} is labelled {d.label}, the "
                    f"{other[d.label]} type; the guide labels {h.hypervisor} images {want}", d.span,
                    h.owner, limit=types, hint=f"write `label {want}`",
                    severity=Severity.WARNING if h.hypervisor == "xen" else None)


class BlockDeviceLabel(Rule):
    """On a Xen host with SELinux on, block devices given to guests are labelled as images too.

    What it checks: every block-device disk (a `/dev/...` source: logical volume,
    partition, multipath or udev LUN name) of a guest on a Xen host whose SELinux is not
    disabled. The device must lie under an `images` entry of the host with an image type,
    e.g. `images "/dev/VolGroup01" label xen_image_t`.

    Why: "Label the device node (for example, /dev/volumegroup/NewVolumeName) with the
    correct label: semanage fcontext -a -t xen_image_t /dev/volumegroup/NewVolumeName;
    restorecon /dev/volumegroup/NewVolumeName" (§18.2, lines 2983-2985); "when setting up
    LVM volumes for guests, you must change the SELinux context of the corresponding block
    device and volume group" (§18.3, lines 2990-2992, with `semanage fcontext -a -t
    xen_image_t -f -b /dev/sda2`).

    Example:
        disk xvdb phy "/dev/VolGroup01/db01-data"     # no images entry covers it

    Fix: label the device (`semanage fcontext -a -t xen_image_t -f -b DEVICE`,
    `restorecon DEVICE`) and declare it on the host: `images "/dev/VolGroup01" label
    xen_image_t` (or the single device path).
    """

    code, name, severity = "VE104", "block-device-label", Severity.WARNING
    facts = ("labels",)
    checklist, section, lines = ("SEC-06",), "§18.2", "2983-2985, 2990-2992"
    scope = Scope.HOST
    when = ("guests",)
    hypervisors = ("xen",)
    uses = ("security.image_types",)

    def host(self, h, guests):
        if h.hypervisor != "xen" or selinux_mode(h) == "disabled" or h.later_system is not None:
            return
        types = self.limit("security.image_types")
        want = types.value["xen"]
        for g in guests:
            for d in g.disks:
                if d.device != "disk" or d.source_type != "block" or not d.path:
                    continue
                found = image_dir_of(h, d.path, "-b")
                if found is not None and found.label in types.value.values():
                    continue
                yield self.report(
                    f"block device {d.path} of guest {g.name} has no image label on host {h.name} "
                    f"({selinux_shown(h)})", d.span, d.owner,
                    related=(Related(found.span, f"{found.path} is labelled {found.label}"),)
                    if found is not None and found.span is not None else (),
                    hint=f'add `images "{posixpath.dirname(d.path)}" label {want}` to host {h.name} '
                         f"(semanage fcontext -a -t {want} -f -b {d.path}; restorecon {d.path})")


class ImageDirLocation(Rule):
    """An image directory is not a system or home directory, nor a parent of one.

    What it checks: each `images "DIR"` of a host that lies in /etc, /var, /sys, /home or
    /root, or that contains one of them (such as "/" or "/var"). The guide's own
    directories are exempt: /var/lib/libvirt/images (contradiction C-48) and /var/lib/tgtd
    for iSCSI LUN files.

    Why: the mount point for an image volume "can be anywhere in the file system; it is
    advised not to put it in important system directories (/etc, /var, /sys) or in home
    directories (/home or /root)" (§18.2, line 2969), and "do not relabel directories you
    use elsewhere as xen_image_t" (§18.3, line 2993): relabelling a parent relabels the
    system directories inside it.

    Contradiction C-48: /var is on the list, yet the default image directory
    /var/lib/libvirt/images (line 434) is under /var; it is excluded.

    Example:
        images "/home/vm" label xen_image_t

    Fix: mount the image volume on a directory of its own, e.g. /virtstorage.
    """

    code, name, severity = "VE105", "image-dir-location", Severity.WARNING
    checklist, section, lines = ("SEC-08", "SEC-09"), "§18.2", "434, 2969, 2993"
    scope = Scope.HOST
    when = ("image_dirs",)
    uses = ("security.critical_dirs", "security.default_image_dirs", "security.iscsi_lun_label")

    def host(self, h, guests):
        critical = self.limit("security.critical_dirs")
        exempt = list(self.limit("security.default_image_dirs").value)
        exempt.append(self.limit("security.iscsi_lun_label").value["dir"])
        for d in h.image_dirs:
            if any(under(d.path, x) for x in exempt):
                continue
            inside = [c for c in critical.value if under(d.path, c)]
            holds = [c for c in critical.value if under(c, d.path)]
            if inside:
                problem = f"lies in the system or home directory {inside[0]}"
            elif holds:
                problem = f"contains {', '.join(holds)}; relabelling it relabels system files"
            else:
                continue
            yield self.report(f"image directory {d.path} of host {h.name} {problem}", d.span, h.owner,
                              limit=critical, hint="mount the image volume on its own directory, e.g. /virtstorage")


class XendDisableTrans(Rule):
    """The xend_disable_t boolean is not turned on.

    What it checks: `sebool xend_disable_t on` on a host.

    Why: "The xend_disable_t boolean can be used to put xend in unconfined mode after the
    daemon restarts" (§18.3, line 2993): xend, which runs every guest, then runs without
    SELinux confinement.

    Example:
        sebool xend_disable_t on

    Fix: `sebool xend_disable_t off`; label the images instead (VE101, VE104).
    """

    code, name, severity = "VE106", "xend-disable-trans", Severity.WARNING
    facts = ("sebools",)
    checklist, section, lines = ("SEC-09",), "§18.3", "2993"
    scope = Scope.HOST
    when = ("sebools",)

    def host(self, h, guests):
        s = h.setting("sebools", "xend_disable_t")
        if s is not None and s.value == "on" and selinux_mode(h) != "disabled":
            yield self.report(f"host {h.name} turns on xend_disable_t, which runs xend unconfined", s.span,
                              h.owner, hint="sebool xend_disable_t off")


class SelinuxBooleanNeeded(Rule):
    """KVM guests get the SELinux booleans their devices need.

    What it checks: on a KVM host whose SELinux is not disabled, for each KVM guest:
    a host serial or parallel device (`serial dev "/dev/ttyS0"`, `parallel dev
    "/dev/parport0"`) needs qemu_use_comm on (default off); an image on an NFS mount needs
    qemu_use_nfs (default on, so only an explicit `off` fails); NICs need
    qemu_full_network (default on); a passed-through PCI device needs virt_use_sysfs on.
    The defaults are the guide's table.

    Why: the KVM booleans (§18.3, lines 2994-3003): "qemu_use_comm Default: off. This
    boolean controls whether KVM can access serial or parallel communications ports";
    "qemu_use_nfs Default: on. This boolean controls KVM's access to NFS file systems";
    "qemu_full_network Default: on. This boolean controls full network access to KVM
    guests". For PCI assignment the procedure sets "setsebool -P virt_use_sysfs 1" to
    "allow the management of the PCI device from the guest" (§14.1, lines 2607-2608).

    Example:
        host k { hypervisor kvm; selinux enforcing }
        guest g on k { serial dev "/dev/ttyS0" }

    Fix: `sebool qemu_use_comm on` (or virt_use_sysfs / qemu_use_nfs /
    qemu_full_network) on the host.
    """

    code, name, severity = "VE107", "selinux-boolean-needed", Severity.WARNING
    facts = ("sebools",)
    checklist, section, lines = ("SEC-10", "PCI-13"), "§18.3", "2607-2608, 2994-3003"
    scope = Scope.HOST
    when = ("guests",)
    hypervisors = ("kvm",)
    uses = ("security.kvm_booleans",)

    def host(self, h, guests):
        if h.hypervisor != "kvm" or selinux_mode(h) == "disabled":
            return
        table = self.limit("security.kvm_booleans")

        def state(name: str) -> tuple[bool, object]:
            s = h.setting("sebools", name)
            if s is not None:
                return s.value == "on", s
            return bool(table.value.get(name, False)), None

        for g in guests:
            if g.type != "kvm":
                continue
            needs = []
            ports = (*g.serials, *((g.parallel,) if g.parallel is not None else ()))
            dev = next((s for s in ports if s.kind == "dev"), None)
            if dev is not None:
                needs.append(("qemu_use_comm", dev.span, f"host device {dev.path}", g.owner))
            nfs = next((d for d in g.disks if d.path and nfs_mount(h, d.path) is not None), None)
            if nfs is not None:
                needs.append(("qemu_use_nfs", nfs.span, f"image {nfs.path} on an NFS mount", nfs.owner))
            if g.nics:
                needs.append(("qemu_full_network", g.nics[0].span, "network interfaces", g.nics[0].owner))
            if g.pci:
                needs.append(("virt_use_sysfs", g.pci[0].span, f"PCI device {g.pci[0].address}",
                              g.pci[0].owner))
            for name, span, what, label in needs:
                on, setting = state(name)
                if on:
                    continue
                how = "is turned off" if setting is not None else "is off by default"
                yield self.report(
                    f"guest {g.name} uses {what}, but SELinux boolean {name} {how} on host {h.name}", span,
                    label, limit=table if name in table.value else None,
                    hint=f"add `sebool {name} on` to host {h.name}",
                    related=(Related(setting.span, f"{name} set here"),) if setting is not None else ())


class HostSelinuxMode(Rule):
    """Hosts run SELinux in enforcing mode.

    What it checks: a host with `selinux permissive` or `selinux disabled`.

    Why: the server best practices begin with "Run SELinux in enforcing mode" (`setenforce
    1`, §17, lines 2933-2935); "Enable Security-Enhanced Linux (SELinux) on the
    hypervisor" (§18, line 2947); "Red Hat recommends all Red Hat Enterprise Linux systems
    should run with SELinux enabled and in enforcing mode" (§18.2, line 2959).

    Example:
        selinux permissive

    Fix: `selinux enforcing`, with the image directories labelled (VE101).
    """

    code, name, severity = "VE108", "host-selinux-mode", Severity.WARNING
    checklist, section, lines = ("SEC-11",), "§17", "2933-2935, 2947, 2959"
    scope = Scope.HOST
    when = ("selinux",)

    def host(self, h, guests):
        if h.selinux in ("permissive", "disabled"):
            yield self.report(f"host {h.name} runs SELinux {h.selinux}", h.fields.get("selinux") or h.span,
                              h.owner, hint="selinux enforcing")


class GuestSelinuxFirewall(Rule):
    """Guests keep SELinux enforcing and their firewall on.

    What it checks: a guest with `selinux permissive`, `selinux disabled` or `firewall off`.

    Why: in the guest installation, "we do not recommend disabling the firewall" and "we
    strongly recommend running SELinux in enforcing mode" (§8.1, lines 963-966).

    Example:
        guest web { ...; selinux disabled; firewall off }

    Fix: `selinux enforcing` and `firewall on`, opening only the ports the guest serves.
    """

    code, name, severity = "VE109", "guest-selinux-firewall", Severity.WARNING
    when = ("selinux", "firewall")
    checklist, section, lines = ("SEC-12",), "§8.1", "963-966"

    def guest(self, g: Guest):
        if g.selinux in ("permissive", "disabled"):
            yield self.report(f"guest {g.name} runs SELinux {g.selinux}", own_span(g, "selinux"),
                              g.owner, hint="selinux enforcing")
        if g.firewall is False:
            yield self.report(f"guest {g.name} has its firewall turned off",
                              own_span(g, "guest-firewall"), g.owner,
                              hint="firewall on, and open only the ports the guest serves")


class HostUnneededServices(Rule):
    """A host runs only the services virtualization needs.

    What it checks: the host's `services on` list against the guide's list of services to
    remove (AutoFS, NFS, FTP, HTTP, NIS, telnetd, sendmail; as RHEL 5 service names:
    autofs, nfs, vsftpd, httpd, ypbind, telnet, sendmail). A service some declared role
    needs is not reported (contradiction C-49): nfs on a host with `export` entries or
    named as the server of another host's NFS `shared` storage or netfs pool, and nfs,
    vsftpd or httpd on a host that a guest's `install url` points at.

    Why: "remove or disable any unnecessary services (for example AutoFS, NFS, FTP, HTTP,
    NIS, telnetd, sendmail, ...)" (§17, line 2937); "run only the necessary services on the
    host. The fewer processes and services running on the host, the higher the security
    and performance" (§18, line 2946).

    Contradiction C-49: the same guide starts NFS on a host for migration (§21.2, lines
    3446-3453) and serves PV installation trees over NFS, FTP or HTTP (line 412, 747,
    5481). So a service is reported only when no declared role of the host needs it.

    Example:
        services on libvirtd httpd sendmail

    Fix: `services off httpd sendmail`; declare the role (`export ...`, a guest's
    `install url "http://HOST/..."`) when the host really serves it.
    """

    code, name, severity = "VE110", "host-unneeded-services", Severity.WARNING
    checklist, section, lines = ("SEC-13",), "§17", "2937, 2946, 3446-3453"
    scope = Scope.HOST
    uses = ("security.unneeded_services",)

    def run(self, ctx):
        # Index: (protocol, server name or address) -> who relies on it, built once per check.
        self.served: dict[tuple[str, str], str] = {}

        def serve(proto: str | None, server: str | None, why: str) -> None:
            if not proto or not server:
                return
            server = server.lower()
            self.served.setdefault((proto, server), why)
            if server[0].isalpha():  # a host name: also its first label (xen1 for xen1.example.com)
                self.served.setdefault((proto, server.split(".")[0]), why)

        for g in ctx.model.guests:
            if g.install and g.install.method == "url" and g.install.source:
                serve(*_url_server(g.install.source), f"guest {g.name} installs from {g.install.source}")
        for h in ctx.model.hosts:
            for s in h.shared:
                if s.kind == "nfs" and ":" in s.source:
                    serve("nfs", s.source.split(":", 1)[0], f"host {h.name} mounts {s.source}")
            for p in h.pools:
                if p.type == "netfs" and p.source_host:
                    serve("nfs", p.source_host, f"host {h.name} pool {p.name}")
        yield from super().run(ctx)

    def host(self, h, guests):
        table = self.limit("security.unneeded_services")
        names = {h.name.lower(), h.name.lower().split(".")[0]}
        names |= {b.ip.split("/")[0] for b in h.bridges if b.ip}
        span = h.fields.get("services") or h.span
        for service in h.services_on:
            what = table.value.get(service.lower())
            if what is None:
                continue
            proto = what.lower()
            if proto == "nfs" and h.exports:
                continue
            if any((proto, n) in self.served for n in names):
                continue
            shown = service if what.lower() == service.lower() else f"{service} ({what})"
            yield self.report(f"host {h.name} runs {shown}, a service the guide says to remove "
                              "from a virtualization host unless it is needed", span, h.owner, limit=table,
                              hint=f"`services off {service}`, or declare what needs it (an export, or a "
                                   "guest's install url on this host)")


def _url_server(url: str) -> tuple[str | None, str | None]:
    """(protocol, server) of an installation source: http/ftp/nfs URLs and nfs:server:/path."""
    if url.startswith("nfs:") and not url.startswith("nfs://"):
        server = url[len("nfs:"):].split(":", 1)[0]
        return "nfs", server or None
    parts = urlsplit(url)
    proto = {"https": "http"}.get(parts.scheme, parts.scheme)
    return proto, parts.hostname or None


class HostFirewallPolicy(Rule):
    """A host's firewall denies by default.

    What it checks: a host `firewall` statement with `policy accept`, or `firewall off`.

    Why: "Use a firewall to restrict traffic to dom0. You can set up a firewall with a
    default-deny rule to protect dom0 from attacks. Limiting the services exposed to the
    network is also important" (§18, line 2948).

    Example:
        firewall open 22/tcp policy accept

    Fix: `policy drop` (or reject) and open only the ports the host serves (22/tcp, the
    migration and management ports).
    """

    code, name, severity = "VE111", "host-firewall-policy", Severity.WARNING
    checklist, section, lines = ("SEC-16",), "§18", "2948"
    scope = Scope.HOST
    when = ("firewall",)

    def host(self, h, guests):
        fw = h.firewall
        if fw is None:
            return
        if fw.enabled is False:
            yield self.report(f"host {h.name} has its firewall turned off", fw.span, h.owner,
                              hint="firewall on policy drop, opening only the ports the host serves")
        elif fw.policy == "accept":
            yield self.report(f"host {h.name}'s firewall accepts by default", fw.span, h.owner,
                              hint="policy drop, opening only the ports the host serves")


class VncExposed(Rule):
    """A guest's VNC console listens beyond the host's loopback only with a password or TLS.

    What it checks: each VNC console whose listen address (the guest's `vnc listen`, on
    Xen else the host's `xend vnc-listen`, else the default 127.0.0.1) is not a loopback
    address, while the console has no password (`vnc password`, or on Xen `xend
    vncpasswd`) and the host does not encrypt VNC with TLS (Xen: `xend vnc-tls 1`; for KVM
    the model has no qemu.conf vnc_tls setting, so KVM consoles count as unencrypted).

    Why: "VNC is considered insecure by many security experts ... The guest machines only
    listen to the local host (dom0)'s loopback address (127.0.0.1). This ensures only
    those with shell privileges on the host can access virt-manager and the virtual
    machine through VNC" (§26.4, line 4332); remote access goes through SSH or TLS
    (line 4333, §22.2 line 3598: "(vnc-tls 1)"). xm's vfb: "The server will listen on ADDR
    (default 127.0.0.1)" (§31, line 4744).

    Example:
        vnc listen 0.0.0.0

    Fix: `vnc listen 127.0.0.1` and reach the console through an SSH tunnel
    (virt-manager's SSH connection), or set a `password` and, on Xen, `xend vnc-tls 1`.
    """

    code, name, severity = "VE112", "vnc-exposed", Severity.WARNING
    when = ("graphics",)
    checklist, section, lines = ("SEC-18",), "§26.4", "3598, 4332-4333, 4744"

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        xen = g.is_xen and h.hypervisor == "xen"
        listen_setting = h.setting("xend", "vnc-listen") if xen else None
        passwd_setting = h.setting("xend", "vncpasswd") if xen else None
        tls = xen and vnc_tls_on(h)
        for gr in g.graphics:
            if gr.kind != "vnc":
                continue
            address = gr.listen or (listen_setting.value if listen_setting else None)
            if address is None or _loopback(address):
                continue
            if gr.password or (passwd_setting and passwd_setting.value.strip('"')):
                continue
            if tls:
                continue
            related = []
            if not gr.listen and listen_setting is not None:
                related.append(Related(listen_setting.span, f"xend vnc-listen {address}"))
            yield self.report(f"VNC console of guest {g.name} listens on {address} with no password and no "
                              "TLS", gr.span, g.owner, related=related,
                              hint="listen on 127.0.0.1 and tunnel over SSH, or set `password` "
                                   + ("and `xend vnc-tls 1`" if xen else "(and TLS in qemu.conf)"))


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip('"')).is_loopback
    except ValueError:
        return address.strip('"') == "localhost"


class IscsiLunLabel(Rule):
    """Plain files used as iSCSI target LUNs carry the tgtd_var_lib_t label.

    What it checks: each file (not /dev) backing a LUN of a host's `iscsi-target`, on a
    host whose SELinux is not disabled: it must lie in /var/lib/tgtd (labelled
    tgtd_var_lib_t by `restorecon -R /var/lib/tgtd`) or in an `images` directory the host
    labels tgtd_var_lib_t.

    Why: "The two most common problems encountered when configuring the iSCSI target are
    SELinux and iptables. If adding plain files as LUNs in an iSCSI target, ensure the
    files are labelled system_u:object_r:tgtd_var_lib_t:s0" (§23.1.1, line 3785); the
    procedure creates them in /var/lib/tgtd and runs "restorecon -R /var/lib/tgtd"
    (lines 3711-3714).

    Example:
        iscsi-target "iqn.2004-04.rhel:rhel5:iscsi.kvmguest" lun 1 "/srv/luns/disk1.img"

    Fix: put the LUN files in /var/lib/tgtd (then restorecon -R /var/lib/tgtd), or declare
    `images "/srv/luns" label tgtd_var_lib_t`.
    """

    code, name, severity = "VE113", "iscsi-lun-label", Severity.ERROR
    facts = ("labels",)
    checklist, section, lines = ("SEC-20",), "§23.1.1", "3711-3714, 3785"
    scope = Scope.HOST
    when = ("iscsi_targets",)
    uses = ("security.iscsi_lun_label",)

    def host(self, h, guests):
        if selinux_mode(h) == "disabled":
            return
        lab = self.limit("security.iscsi_lun_label")
        for t in h.iscsi_targets:
            for number, path in t.luns:
                if path.startswith("/dev/") or under(path, lab.value["dir"]):
                    continue
                found = image_dir_of(h, path)
                if found is not None and found.label == lab.value["type"]:
                    continue
                folder = posixpath.dirname(path)
                yield self.report(f"LUN {number} of iSCSI target {t.iqn} on host {h.name} is the file {path}, "
                                  f"outside {lab.value['dir']} and not labelled {lab.value['type']}", t.span,
                                  h.owner, limit=lab,
                                  hint=f"move it to {lab.value['dir']} (restorecon -R {lab.value['dir']}) or "
                                       f'add `images "{folder}" label {lab.value["type"]}`')


class IscsiPortClosed(Rule):
    """A host serving iSCSI targets opens TCP port 3260.

    What it checks: a host with `iscsi-target` entries and a `firewall` statement that
    does not accept by default and does not open 3260/tcp.

    Why: "TCP port 3260 must also be open in your iptables configuration" (§23.1.1,
    line 3785).

    Example:
        iscsi-target "iqn.2004-04.rhel:rhel5:iscsi.kvmguest" lun 1 "/var/lib/tgtd/k/disk1.img"
        firewall open 22/tcp policy drop

    Fix: `firewall open 22/tcp 3260/tcp policy drop`.
    """

    code, name, severity = "VE114", "iscsi-port-closed", Severity.ERROR
    checklist, section, lines = ("SEC-20",), "§23.1.1", "3785"
    scope = Scope.HOST
    when = ("iscsi_targets",)
    uses = ("security.iscsi_target_port",)

    def host(self, h, guests):
        if not h.iscsi_targets:
            return
        port = self.limit("security.iscsi_target_port")
        if port_open(h.firewall, port.value, "tcp"):
            return
        t = h.iscsi_targets[0]
        yield self.report(f"host {h.name} serves iSCSI target {t.iqn} but its firewall does not open "
                          f"{port.value}/tcp", h.firewall.span, h.owner, limit=port,
                          related=(Related(t.span, "iSCSI target declared here"),),
                          hint=f"add {port.value}/tcp to `firewall open`")
