"""The resolved model: what rules check and targets emit.

Everything here is final: templates and ranges are expanded, units are normalised
(memory in KiB, sizes in bytes), defaults are applied and automatic MACs and UUIDs are
assigned. Every element carries the span of the statement that made it and its logical
path ("host xen1 / guest web07 / disk xvdb"). Readers of existing configs (later) build
the same objects, so rules never know where a guest came from.
"""
from __future__ import annotations

from dataclasses import field

from .frozen import frozen
from .owner import Owned, Owner
from .source import Span

# Vocabularies (the compiler validates against these; the JSON Schema repeats them).
GUEST_TYPES = ("xen-pv", "xen-hvm", "kvm", "hyperv")
HYPERVISORS = ("xen", "kvm", "hyperv")  # Hyper-V: RHEL 5 guests only (guide §4)
ARCHES = ("i686", "x86_64", "ia64")
CPU_VENDORS = ("intel", "amd")
ACTIONS = ("destroy", "restart", "preserve", "rename-restart")
CLOCKS = ("utc", "localtime")
BUSES = ("ide", "scsi", "xen", "virtio", "fdc")
DRIVERS = ("file", "phy", "tap:aio", "tap2:aio", "tap:qcow", "qemu")
DEVICES = ("disk", "cdrom", "floppy")
NIC_MODELS = ("netfront", "ioemu", "rtl8139", "e1000", "virtio", "ne2k_pci", "pcnet")
SERIAL_KINDS = ("pty", "null", "stdio", "vc", "file", "pipe", "dev", "tcp", "udp", "telnet", "unix")
BOOT_DEVICES = ("hd", "cdrom", "network", "fd")
OS_FAMILIES = ("rhel", "fedora", "windows", "other")
SOUND_MODELS = ("es1370", "sb16", "ac97")
USB_DEVICES = ("mouse", "tablet")


@frozen
class FieldSpans:
    """Where each scalar field of an element was set: the statement's span."""

    items: tuple[tuple[str, Span], ...] = ()

    def get(self, name: str) -> Span | None:
        for key, span in self.items:
            if key == name:
                return span
        return None


@frozen
class Expansion:
    """How a stamped guest was made: from which declaration, range and templates."""

    declared: str  # "web[01..12]"
    span: Span  # the guest declaration's header
    index: int | None
    templates: tuple[tuple[str, Span], ...]  # nearest template first


@frozen
class Setting:
    """One key = value of a host file (sysctl, xend-config, modprobe, SELinux booleans)."""

    key: str
    value: str
    span: Span


@frozen
class Install:
    """How the guest is installed (`install`): the method and its source."""

    method: str  # url | cdrom | pxe | import
    source: str | None


@frozen
class Disk(Owned):
    """One disk, CD-ROM or floppy drive of a guest."""

    target: str
    device: str  # disk | cdrom | floppy
    driver: str  # file | phy | tap:aio | tap2:aio | tap:qcow | qemu
    source_type: str  # file | block
    path: str | None  # None: an empty CD-ROM drive
    bus: str
    readonly: bool
    shareable: bool
    format: str  # raw | qcow2 | qcow | ...
    size_bytes: int | None
    span: Span
    owner: Owner  # host h / guest g / disk xvda
    sparse: bool = False
    encrypted: bool = False
    compressed: bool = False
    boot: bool = False  # declared as the boot disk
    fields: FieldSpans = field(default_factory=FieldSpans)  # where target, source, ... were written


@frozen
class Nic(Owned):
    """One network interface of a guest, on a bridge or a libvirt network."""

    index: int
    kind: str  # bridge | network
    source: str  # bridge or network name
    mac: str
    mac_auto: bool
    model: str | None  # None: the hypervisor's default
    rate: str | None  # xm rate, e.g. 10MB/s@50ms
    vifname: str | None
    script: str | None
    ip: str | None
    span: Span
    owner: Owner
    fields: FieldSpans = field(default_factory=FieldSpans)  # where each field was written


@frozen
class PciDevice(Owned):
    """A PCI device passed through to a guest, by its address."""

    domain: int
    bus: int
    slot: int
    function: int
    span: Span
    owner: Owner
    vf: bool = False  # an SR-IOV virtual function
    fields: FieldSpans = field(default_factory=FieldSpans)  # where target, source, ... were written

    @property
    def address(self) -> str:
        return f"{self.domain:04x}:{self.bus:02x}:{self.slot:02x}.{self.function:x}"


@frozen
class Graphics:
    """A graphical console of a guest (VNC or SDL)."""

    kind: str  # vnc | sdl
    listen: str | None
    port: int | None  # None: pick a free one (vncunused / autoport)
    password: str | None
    keymap: str | None
    span: Span


@frozen
class Serial:
    """A character device: a serial port (`serial`), or the parallel port (`parallel`),
    which xm, qemu-dm and libvirt describe with the same kinds and addresses."""

    kind: str  # one of SERIAL_KINDS
    path: str | None  # file, pipe, dev, unix
    host: str | None  # tcp, udp, telnet
    port: int | None
    server: bool
    span: Span


@frozen
class Boot:
    """How a guest boots: bootloader, or kernel and initrd, or HVM boot devices."""

    bootloader: str | None  # /usr/bin/pygrub for PV guests
    bootloader_args: str | None
    kernel: str | None
    initrd: str | None
    cmdline: str | None
    order: tuple[str, ...]  # HVM boot devices: hd, cdrom, network, fd


@frozen
class GuestOS:
    """The operating system a guest runs, as written (rhel5.8) and split."""

    family: str  # rhel | fedora | windows | other
    release: str | None  # "5.8", "2003", "xp" ...
    name: str  # as written: rhel5.8, win2003


@frozen
class Guest:
    """One guest, expanded from its templates and range, with defaults applied."""

    name: str
    host: str
    type: str  # xen-pv | xen-hvm | kvm
    arch: str
    pae: bool
    os: GuestOS | None
    memory_kib: int
    maxmem_kib: int
    vcpus: int
    max_vcpus: int
    cpuset: str | None
    disks: tuple[Disk, ...]
    nics: tuple[Nic, ...]
    pci: tuple[PciDevice, ...]
    graphics: tuple[Graphics, ...]
    serials: tuple[Serial, ...]
    boot: Boot
    clock: str
    on_poweroff: str
    on_reboot: str
    on_crash: str
    uuid: str
    uuid_auto: bool
    autostart: bool
    pv_drivers: bool
    features: tuple[str, ...]  # acpi, apic, pae (HVM)
    sound: str | None
    usb: tuple[str, ...]
    description: str | None
    span: Span
    expansion: Expansion | None
    fields: FieldSpans = field(default_factory=FieldSpans)
    install: Install | None = None
    kernel_release: str | None = None  # the guest kernel's version, e.g. 2.6.18-308.el5
    kernel_variant: str | None = None  # xen, PAE, i686, smp, hugemem, largesmp, ...
    pvclock: bool | None = None  # KVM para-virtualized clock; None: not stated
    hpet: bool | None = None  # HVM virtual HPET present (xm hpet, <timer name='hpet'>); None: not stated
    parallel: Serial | None = None  # the HVM parallel port (xm `parallel` holds one); None: none
    services_on: tuple[str, ...] = ()
    services_off: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()  # database, kdump-server, netdump-server, io-heavy
    selinux: str | None = None
    firewall: bool | None = None
    hostname: str | None = None
    created_on: str | None = None  # hypervisor the image was installed on
    migratable: bool = False  # part of its host's migration group

    @property
    def owner(self) -> Owner:
        return Owner(self.host or None, self.name)

    @property
    def path_label(self) -> str:
        return self.owner.label

    @property
    def is_xen(self) -> bool:
        return self.type in ("xen-pv", "xen-hvm")

    @property
    def is_hvm(self) -> bool:
        return self.type in ("xen-hvm", "kvm")


@frozen
class Cpu:
    """A host's processors: vendor, counts and the flags that matter."""

    vendor: str | None
    sockets: int | None
    cores: int | None  # physical cores in the whole host
    threads: int | None  # logical CPUs in the whole host (cores x hyper-threads)
    flags: tuple[str, ...]  # /proc/cpuinfo flags that matter: vmx, svm, nx, constant_tsc, pae
    mhz: int | None = None
    # Whether the TSC runs at a constant rate; None where no file says. Not a flag of
    # `flags`, because `virsh capabilities` lists libvirt's CPU-model features, which never
    # name Linux's synthetic constant_tsc (the reader judges it by the CPU model instead).
    constant_tsc: bool | None = None


@frozen
class Bridge(Owned):
    """A network bridge of a host."""

    name: str
    nic: str | None  # enslaved physical interface
    hwaddr: str | None
    bootproto: str  # none | dhcp | static
    ip: str | None  # CIDR, e.g. 10.0.0.5/24
    gateway: str | None
    mtu: int | None
    stp: bool
    delay: int
    span: Span
    owner: Owner
    fields: FieldSpans = field(default_factory=FieldSpans)  # where each field was written
    # None: an initscripts bridge (an ifcfg file; virtc writes one for a `bridge`
    # statement). A span: xend's network-script makes the bridge when xend starts (read
    # from an existing host: the (network-script ...) line of xend-config.sxp, while
    # `span` is the line that names the bridge, there or in a wrapper script of
    # /etc/xen/scripts); no ifcfg file is written for it.
    xend_script: Span | None = None


@frozen
class Network(Owned):
    """A libvirt virtual network of a host."""

    name: str
    bridge: str
    forward: str  # nat | route | none
    forward_dev: str | None
    ip: str | None  # CIDR of the host side
    dhcp_start: str | None
    dhcp_end: str | None
    span: Span
    owner: Owner
    fields: FieldSpans = field(default_factory=FieldSpans)  # where each field was written
    # Started with libvirtd: always for a declared network (build writes its autostart
    # link); for one read from a host, only when the tree holds networks/autostart/NAME.xml.
    autostart: bool = True


@frozen
class Lun(Owned):
    """A SAN LUN known by WWID: a multipath alias or a udev persistent name."""

    name: str
    wwid: str
    kind: str  # multipath | udev
    span: Span
    owner: Owner
    wwid_span: Span | None = None  # where the WWID itself is written (findings about it point there)


@frozen
class ImageDir:
    """Where guest images are labelled: a directory (`images "DIR"`, `DIR(/.*)?`) or any
    file context pattern of file_contexts.local whose type is an image type."""

    path: str  # the directory, or the fixed start of the pattern
    label: str  # SELinux type, e.g. virt_image_t / xen_image_t
    span: Span | None
    pattern: str | None = None  # the file context regex; None: path(/.*)?
    ftype: str | None = None  # matchpathcon's file type (-- regular, -b block ...); None: any


@frozen
class SharedStorage:
    """Storage a host mounts that other hosts share (for migration)."""

    path: str  # mount point on the host
    source: str  # server:/export or device
    kind: str  # nfs | iscsi | fc | gfs2
    span: Span


@frozen
class Migration:
    """A host's migration settings: its peers and xend's relocation server."""

    peers: tuple[str, ...]
    port: int | None
    address: str | None
    allow: str | None
    span: Span


@frozen
class GrubSettings:
    """What a host's boot loader entry says: root, kernel arguments, serial console."""

    root: str | None  # (hd0,0)
    rootfs: str | None  # /dev/VolGroup00/LogVol00
    args: str | None  # extra dom0/host kernel arguments
    serial: str | None  # com1 | com2
    serial_speed: int | None
    xen_args: str | None = None  # extra hypervisor (xen.gz line) arguments


@frozen
class NumaCell:
    """One NUMA cell of a host: its CPUs and memory."""

    id: int
    cpus: str | None
    memory_kib: int | None
    free_kib: int | None
    span: Span


@frozen
class Firewall:
    """A host's firewall: what it opens, its policy, bridged traffic."""

    open: tuple[str, ...]  # "22/tcp", "49152-49216/tcp", "icmp"
    policy: str | None  # accept | drop | reject
    bridged: bool  # -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT
    enabled: bool | None
    span: Span


@frozen
class Export:
    """One NFS export of a host (/etc/exports)."""

    path: str
    clients: str
    options: str | None
    span: Span


@frozen
class Pool:
    """One libvirt storage pool of a host."""

    name: str
    type: str  # dir | fs | netfs | iscsi | scsi | logical | disk
    source_host: str | None
    device: str | None
    path: str | None
    autostart: bool
    span: Span


@frozen
class IscsiTarget:
    """One iSCSI target a host serves, with its LUNs."""

    iqn: str
    luns: tuple[tuple[int, str], ...]
    allow: str | None
    span: Span


@frozen
class Host:
    """One host: its hardware, dom0, networking, storage and host files."""

    name: str
    hypervisor: str
    arch: str
    release: str | None
    cpu: Cpu
    memory_kib: int | None
    swap_kib: int | None
    dom0_memory_kib: int | None
    dom0_vcpus: int | None
    kernel: str | None
    iommu: bool
    selinux: str | None
    bridges: tuple[Bridge, ...]
    networks: tuple[Network, ...]
    luns: tuple[Lun, ...]
    image_dirs: tuple[ImageDir, ...]
    shared: tuple[SharedStorage, ...]
    migration: Migration | None
    grub: GrubSettings
    span: Span
    fields: FieldSpans = field(default_factory=FieldSpans)
    edition: str | None = None  # server | client | desktop | workstation
    # What the default boot entry boots, read from grub.conf or elilo.conf: "xen" (xen.gz
    # with dom0's kernel as a module) or "linux"; None for a .virt host (virtc writes it).
    kernel_kind: str | None = None
    free_disk_kib: int | None = None
    dom0_pin: str | None = None
    numa: tuple[NumaCell, ...] = ()
    services_on: tuple[str, ...] = ()
    services_off: tuple[str, ...] = ()
    firewall: Firewall | None = None
    sysctl: tuple[Setting, ...] = ()
    packages: tuple[str, ...] = ()
    xend: tuple[Setting, ...] = ()  # settings stated for xend-config.sxp
    exports: tuple[Export, ...] = ()
    sebools: tuple[Setting, ...] = ()
    modprobe: tuple[Setting, ...] = ()  # module -> options
    pools: tuple[Pool, ...] = ()
    iscsi_targets: tuple[IscsiTarget, ...] = ()
    uri: str | None = None
    ksm: bool = False
    multipath_blacklist: tuple[tuple[str, str], ...] = ()  # (devnode | wwid, value)
    # The files of /etc/xen/scripts (read from a host tree that holds the folder); None:
    # not known (a .virt file, or a copy of the host without that folder).
    xen_scripts: tuple[str, ...] | None = None
    # libvirtd's own settings, read from /etc/libvirt/libvirtd.conf (listen_tcp, listen_tls,
    # ca_file ...: what the file sets; unset ones keep libvirtd's defaults) and the
    # LIBVIRTD_ARGS of /etc/sysconfig/libvirtd (--listen: without it libvirtd opens no
    # network socket at all). None / (): not known (a .virt host, or a copy without them).
    libvirtd: tuple[Setting, ...] = ()
    libvirtd_args: Setting | None = None
    # Host paths (/etc/pki/CA/cacert.pem) of the certificate files a host tree holds under
    # the places virtc.certificates names; None: not known (a .virt host, loose files).
    certificates: tuple[str, ...] | None = None
    # Why a host read from its files is no RHEL 5 host, when its tree says so ("it runs
    # release 7.9", "it has /etc/debian_version"): later programs than RHEL 5's run it, and
    # the rules whose only premise is RHEL 5's older versions do not judge it. None: a RHEL
    # 5 host, or not known (every .virt host: the language describes RHEL 5 hosts).
    later_system: str | None = None

    @property
    def owner(self) -> Owner:
        return Owner(self.name)

    @property
    def path_label(self) -> str:
        return self.owner.label

    def setting(self, group: str, key: str) -> Setting | None:
        """The last stated value of key in sysctl / xend / sebools / modprobe."""
        found = None
        for s in getattr(self, group):
            if s.key == key:
                found = s
        return found


@frozen
class Model:
    """Everything compiled: the hosts, the guests and the files they came from."""

    hosts: tuple[Host, ...]
    guests: tuple[Guest, ...]
    files: tuple[str, ...]

    def host(self, name: str) -> Host | None:
        for h in self.hosts:
            if h.name == name:
                return h
        return None

    def guests_on(self, host: str) -> tuple[Guest, ...]:
        return tuple(g for g in self.guests if g.host == host)
