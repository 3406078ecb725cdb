"""What the editor shows on hover: a statement's meaning and the guide's limits it is
checked against (schemas/limits.json, with citations and the rules that use them), and a
rule's documentation when hovering its code in a `# virtc: ignore[...]` comment."""
from __future__ import annotations

import re

from .codes import source
from .limits import Limit, limits
from .lsp_keywords import block_keywords
from .lsp_scan import Scan, Token
from .ruleset import all_rules, by_code, resolve_code
from .suppress import DIRECTIVE
from .units import UnitError, parse_size

# Statement (and option) keywords -> the limits.json keys the rules check them against.
# Keys are "KEYWORD", "BLOCK:KEYWORD" where host and guest statements share a keyword, or
# "KEYWORD OPTION" / "KEYWORD VALUE" for one option or value of a statement. Built from
# limits.json and the rules' `uses`; tests check every key exists.
KEYWORD_LIMITS: dict[str, tuple[str, ...]] = {
    # guests
    "guest": ("misc.guest_name_patterns",),
    "hostname": ("misc.guest_name_patterns",),
    "vcpus": ("kvm.vcpus_per_core_max", "kvm.vcpus_per_core_safe"),
    "guest:memory": ("guest.memory_minimum", "guest.memory_recommended", "xen.guest_memory_x86",
                     "xen.pv_guest_memory_x86_64", "kvm.memory_overcommit_ratio_recommended",
                     "kvm.memory_overcommit_max"),
    "maxmem": ("xen.guest_memory_x86", "xen.pv_guest_memory_x86_64"),
    "disk": ("storage.target_names", "xen.pv_block_per_guest", "xen.tap_aio_per_host",
             "guest.ide_devices", "xen.hvm_scsi_devices", "xen.loop_devices_default",
             "security.default_image_dirs"),
    "disk tap:aio": ("xen.tap_aio_per_host", "xen.pv_block_per_guest"),
    "disk tap2:aio": ("xen.tap_aio_per_host", "xen.pv_block_per_guest"),
    "disk file": ("xen.loop_devices_default", "xen.loop_devices_suggested"),
    "disk phy": ("security.image_types",),
    "disk format": ("storage.image_formats", "storage.encryptable_formats"),
    "disk encrypted": ("storage.encryptable_formats",),
    "disk compressed": ("storage.encryptable_formats",),
    "cdrom": ("guest.ide_devices", "storage.target_names"),
    "floppy": ("storage.target_names",),
    "nic": ("xen.nics_per_guest", "xen.mac_range", "kvm.mac_prefix", "libvirt.default_network"),
    "nic mac": ("xen.mac_range", "kvm.mac_prefix"),
    "nic rate": ("xen.rate_pattern", "xen.rate_window_default"),
    "nic vifname": ("libvirt.tap_device_pattern",),
    "nic script": ("xen.network_scripts",),
    "pci": ("pci.functions_per_device", "kvm.pci_slots_total", "kvm.pci_slots_fixed",
            "xen.pci_passthrough_platforms", "xen.hvm_passthrough_min_release",
            "xen.pv_passthrough_unsupported_os"),
    "pci vf": ("sriov.igb_max_vfs",),
    "bootloader": ("boot.pv_boot_loaders",),
    "guest:kernel": ("xen.hvmloader_paths",),
    "install": ("xen.pv_install_protocols", "guest.pxe_install_min_host_release"),
    "os": ("xen.pv_drivers_min_guest_release", "kvm.virtio_auto_rhel_release", "kvm.virtio_win_windows",
           "kvm.virtio_win_min_host_release", "windows.itanium_exception"),
    "os-kernel": ("xen.pv_drivers_kernel_variants", "xen.pv_drivers_rhel3_min_kernel",
                  "xen.pv_drivers_rhel3_host_kernel"),
    "pv-drivers": ("xen.pv_drivers_min_guest_release", "xen.pv_drivers_min_host_release",
                   "xen.pv_drivers_kernel_variants", "xen.pv_drivers_noapic", "xen.pv_drivers_default_on",
                   "xen.pv_drivers_in_kernel_release", "xen.pv_drivers_rhel4_unsupported_through"),
    "pvclock": ("kvm.pvclock_min_rhel_release", "kvm.guest_clock_params"),
    "kernel-args": ("kvm.guest_clock_params", "hyperv.guest_args"),
    # hosts
    "host": ("host.min_memory", "host.min_free_disk", "host.virt_extensions"),
    "hypervisor": ("host.kvm_min_release", "host.kvm_arches", "host.packages"),
    "arch": ("host.kvm_arches", "xen.pci_passthrough_platforms"),
    "release": ("misc.default_release", "host.kvm_min_release", "migration.xen_min_release",
                "xen.pv_drivers_min_host_release"),
    "cpu": ("host.virt_extensions", "kvm.vcpus_per_core_max", "kvm.vcpus_per_core_safe",
            "kvm.no_constant_tsc_host_args"),
    "cpu flags": ("host.virt_extensions", "kvm.no_constant_tsc_host_args"),
    "host:memory": ("host.min_memory", "kvm.memory_overcommit_ratio_recommended",
                    "kvm.memory_overcommit_max", "kvm.swap_host_share"),
    "swap": ("kvm.swap_host_share", "kvm.memory_overcommit_ratio_recommended"),
    "dom0": ("boot.memory_suffixes",),
    "free-disk": ("host.min_free_disk",),
    "bridge": ("network.bridge_nf_sysctls", "xen.network_script_default", "xen.network_script_off",
               "libvirt.tap_device_pattern", "network.laptop_procedure_release"),
    "bridge hwaddr": ("xen.mac_range", "kvm.mac_prefix"),
    "network": ("libvirt.default_network", "network.ip_forward_sysctl"),
    "multipath": ("mpio.wwid_length",),
    "lun": ("mpio.wwid_length",),
    "images": ("security.default_image_dirs", "security.image_types", "security.critical_dirs"),
    "iommu": ("passthrough.iommu_boot_args",),
    "migration": ("migration.xen_min_release", "migration.xen_relocation_port", "migration.xend_port",
                  "migration.kvm_ports"),
    "shared": ("migration.pool_types",),
    "grub": ("boot.hypervisor_options", "boot.dom0_kernel_options", "boot.acpi_values",
             "boot.xen_console_values", "boot.serial_speeds", "passthrough.iommu_boot_args",
             "boot.memory_suffixes", "boot.unsuffixed_suspect_below"),
    "grub serial": ("boot.serial_speeds", "boot.xen_console_values"),
    "services": ("security.unneeded_services",),
    "firewall": ("firewall.ssh_port", "migration.kvm_ports", "migration.xen_relocation_port",
                 "security.iscsi_target_port"),
    "sysctl": ("network.ip_forward_sysctl", "network.bridge_nf_sysctls"),
    "packages": ("host.packages", "host.ia64_hvm_firmware"),
    "xend": ("xend.keys", "xend.loglevels", "xend.bool_values", "xend.port_range", "xend.vnc_tls_files",
             "xen.network_scripts", "xen.network_script_off", "xen.stock_scripts"),
    "export": ("migration.export_forbidden_dirs", "migration.nfs_export_options"),
    "sebool": ("security.kvm_booleans",),
    "modprobe": ("xen.loop_devices_suggested", "sriov.igb_max_vfs", "network.dummy_numdummies"),
    "pool": ("migration.pool_types", "mpio.iscsi_pool_target_path"),
    "iscsi-target": ("mpio.iqn_pattern", "mpio.iscsi_controller_lun", "security.iscsi_lun_label",
                     "security.iscsi_target_port"),
    "uri": ("mgmt.uri_drivers", "mgmt.transports", "mgmt.uri_params", "mgmt.libvirtd_tls_files"),
}


def limit_keys(block: str, keyword: str, word: str | None = None) -> tuple[str, ...]:
    """The limits of a statement, or of one option or value of it when that has its own."""
    block = "guest" if block == "template" else block
    if word is not None and f"{keyword} {word}" in KEYWORD_LIMITS:
        return KEYWORD_LIMITS[f"{keyword} {word}"]
    return KEYWORD_LIMITS.get(f"{block}:{keyword}") or KEYWORD_LIMITS.get(keyword, ())


def _rules_using(key: str) -> list[str]:
    return [f"{r.code} {r.name}" for r in all_rules() if key in r.uses]


def _value(limit: Limit) -> str:
    if limit.unit in ("table",):
        return ""
    if isinstance(limit.value, list):
        return ", ".join(str(v) for v in limit.value)
    if limit.unit in ("pattern", "release", "list"):
        return f"{limit.value}"
    return f"{limit.shown} {limit.unit}" if limit.shown == f"{limit.value}" else limit.shown


def limit_markdown(key: str) -> str:
    lim = limits()[key]
    value = _value(lim)
    head = f"**{key}**" + (f": `{value}`" if value else "")
    rules = _rules_using(key)
    lines = [head, "", lim.summary, "", f"*{lim.citation}*"]
    if rules:
        lines += ["", "Checked by " + ", ".join(f"`{r}`" for r in rules)]
    return "\n".join(lines)


def rule_markdown(code: str) -> str:
    rule = by_code()[code]
    doc = rule.doc()
    parts = [f"**{rule.code} {rule.name}** ({rule.severity})", "", doc.summary]
    if doc.body:
        parts += ["", doc.body]
    if source(rule):
        parts += ["", f"*Source: {source(rule)}*"]
    return "\n".join(parts)


def directive_code_at(comment: Token, offset: int) -> str | None:
    """The rule code (or name) under the cursor in a `# virtc: ignore[...]` comment."""
    m = DIRECTIVE.match(comment.text)
    if not m:
        return None
    base = comment.start + m.start("codes")
    for part in re.finditer(r"[^,\s]+", m.group("codes")):
        if base + part.start() <= offset <= base + part.end():
            return resolve_code(part.group())
    return None


def _size_note(text: str) -> str:
    try:
        b = parse_size(text)
    except (UnitError, ValueError):
        return ""
    if b % (1024 * 1024) == 0:
        return f"`{text}` = {b // (1024 * 1024)} MiB = {b // 1024} KiB"
    return f"`{text}` = {b} bytes"


def hover_markdown(sc: Scan, offset: int) -> tuple[str, tuple[int, int]] | None:
    """Markdown for the word at offset, and the extent (offsets) it describes."""
    comment = sc.comment_at(offset)
    if comment is not None:
        code = directive_code_at(comment, offset)
        if code is None:
            return None
        return rule_markdown(code), (comment.start, comment.end)
    st = sc.statement_at(offset)
    if st is None or not st.words:
        return None
    word = next((w for w in st.words if w.start <= offset <= w.end and w.kind in ("word", "string")), None)
    if word is None:
        return None
    keyword = st.keyword
    if keyword in ("guest", "template") and st.opens and word not in st.words[:2]:
        return None  # `from TEMPLATE`, `on HOST`: names, checked against no limit
    known = block_keywords(st.block).get(keyword)
    parts = []
    if word is st.words[0] and known is not None:
        parts.append(f"`{known.syntax or keyword}`" + (f": {known.meaning}" if known.meaning else ""))
        keys = limit_keys(st.block, keyword)
    else:
        # a value: the limits of the option it belongs to, else of its statement
        option = None
        options = known.options if known else ()
        for w in st.words[1:]:
            if w.start > word.start:
                break
            if w.kind == "word" and w.text in options:
                option = w.text
        keys = limit_keys(st.block, keyword, word.text if f"{keyword} {word.text}" in KEYWORD_LIMITS
                          else option)
        note = _size_note(word.text) if word.kind == "word" and word.text[:1].isdigit() else ""
        if note:
            parts.append(note)
    for key in keys:
        parts.append(limit_markdown(key))
    if not parts:
        return None
    return "\n\n---\n\n".join(parts), (word.start, word.end)
