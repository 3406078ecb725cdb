"""A guest while its statements are applied (GuestBuilder), with its disks and NICs as
written (DiskDraft, NicDraft); virtc.resolve.defaults fills in the rest and freezes it
into the model's Guest."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Expansion, GuestOS, Install, Serial
from ..source import Span
from ..syntax import Value


@dataclass(slots=True)
class DiskDraft:
    target: str
    device: str
    driver: str | None
    path: str | None
    bus: str
    readonly: bool
    shareable: bool
    format: str | None
    size: int | None
    span: Span
    driver_span: Span | None
    label: str
    sparse: bool = False
    encrypted: bool = False
    compressed: bool = False
    boot: bool = False


@dataclass(slots=True)
class NicDraft:
    index: int
    kind: str
    source: str
    mac: str | None
    model: str | None
    rate: str | None
    vifname: str | None
    script: str | None
    ip: str | None
    span: Span
    source_value: Value


@dataclass(slots=True)
class GuestBuilder:
    name: str
    host: str
    span: Span
    expansion: Expansion | None
    type: str | None = None
    arch: str | None = None
    pae: bool = False
    os: GuestOS | None = None
    memory_kib: int | None = None
    maxmem_kib: int | None = None
    vcpus: int | None = None
    max_vcpus: int | None = None
    cpuset: str | None = None
    disks: list = field(default_factory=list)
    nics: list = field(default_factory=list)
    pci: list = field(default_factory=list)
    graphics: list = field(default_factory=list)
    serials: list = field(default_factory=list)
    parallel: Serial | None = None
    bootloader: str | None = None
    bootloader_args: str | None = None
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    boot_order: tuple = ()
    clock: str | None = None
    on_poweroff: str = "destroy"
    on_reboot: str = "restart"
    on_crash: str = "restart"
    uuid: str | None = None
    autostart: bool = False
    pv_drivers: bool = False
    features: tuple | None = None
    sound: str | None = None
    usb: list = field(default_factory=list)
    description: str | None = None
    install: Install | None = None
    kernel_release: str | None = None
    kernel_variant: str | None = None
    pvclock: bool | None = None
    hpet: bool | None = None
    services_on: list = field(default_factory=list)
    services_off: list = field(default_factory=list)
    roles: list = field(default_factory=list)
    selinux: str | None = None
    firewall: bool | None = None
    hostname: str | None = None
    created_on: str | None = None
    migratable: bool | None = None
    spans: dict = field(default_factory=dict)
    incomplete: bool = False  # its template is missing: skip "no type/memory" errors
    # the language server's memo (resolve/memo.py): the builder this one was copied from,
    # whose frozen guest is reused while nothing it depends on changed
    origin: "GuestBuilder | None" = None

