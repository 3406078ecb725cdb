"""ELILO (Itanium) boot configuration, elilo.conf: read into a document of stanza lines.

key = option (image, vmm, label, initrd, read-only, root, append, ...), value = its
value without quotes, group = the image stanza's number (-1 for global options).
"""
from __future__ import annotations

import re

from virtc.documents import Document, Entry

_OPTION = re.compile(r'^(?P<indent>[ \t]*)(?P<key>[A-Za-z_-]+)(?:[ \t]*=[ \t]*(?P<value>"[^"]*"|\S*))?[ \t]*$')


def parse_document(src) -> tuple[Document, list]:
    entries, group = [], -1
    for start, body in src.lines():
        s = body.strip()
        if not s or s.startswith("#"):
            continue
        m = _OPTION.match(body)
        if not m:
            k0 = start + len(body) - len(body.lstrip())
            entries.append(Entry(s.split()[0], s, src.span(k0, start + len(body.rstrip())),
                                 src.span(k0, k0 + len(s.split()[0])), src.span(k0, start + len(body.rstrip())),
                                 group=group))
            continue
        key = m.group("key")
        if key == "image":
            group += 1
        raw = m.group("value") or ""
        k0 = start + len(m.group("indent"))
        v0 = start + m.start("value") if m.group("value") is not None else k0
        entries.append(Entry(key, raw.strip('"'), src.span(k0, start + len(body.rstrip())),
                             src.span(k0, k0 + len(key)), src.span(v0, max(v0 + 1, start + len(body.rstrip()))),
                             group=group))
    return Document("elilo", src.path, tuple(entries)), []


# ---------------------------------------------------------------- reading into the model
#
# read() is the inverse of grub.elilo_conf(): the default image stanza gives the kernel,
# the root file system and the append line, whose words before `--` are the hypervisor's
# (dom0_mem=, dom0_max_vcpus=, iommu= become facts; the rest `xen-args`) and after it the
# dom0 kernel's (`grub args`). An elilo.conf means an Itanium host.

# What virtc writes in a stanza: these options are the model (label is always linux).
_STANZA = ("image", "vmm", "label", "initrd", "read-only", "root", "append")


def _unreadable(e) -> bool:
    """A line the option pattern did not match (the parser keeps it whole as the value)."""
    return bool(e.value) and e.value_span.start == e.span.start


def _append_words(src, e):
    from virtc.targets.grub import Words

    raw = src.text[e.value_span.start:e.value_span.end]
    quote = len(raw) - len(raw.lstrip('"'))
    return Words.of(src, e.value, e.value_span.start + quote)


def read(text: str, path: str):
    """elilo.conf as host facts: arch ia64, kernel, kernel_kind, dom0, iommu, grub."""
    from virtc.model import GrubSettings
    from virtc.readback import Found
    from virtc.source import SourceFile
    from virtc.targets.grub import Words, take_hypervisor_facts, take_linux_derived

    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    found = Found(src, "elilo", doc, diagnostics=list(problems))
    stanzas: dict[int, list] = {}
    default = None
    for e in doc.entries:
        if e.group >= 0:
            stanzas.setdefault(e.group, []).append(e)
        elif e.key == "default" and not _unreadable(e):
            default = e.value
        elif _unreadable(e):
            found.ignored(f"ELILO line `{e.value[:60]}` (not option=value)", e.span)
        else:
            found.ignored(f"ELILO global option `{e.key}`", e.span)
    chosen = None
    for n, stanza in stanzas.items():
        labels = [e.value for e in stanza if e.key == "label"]
        if chosen is None and (default is None or default in labels):
            chosen = n
    if chosen is None and stanzas:
        chosen = min(stanzas)  # no stanza carries the default label: ELILO boots the first
    for n, stanza in stanzas.items():
        if n != chosen:
            found.ignored(f"ELILO image stanza `{stanza[0].value}` (only the default stanza is read)",
                          stanza[0].span)
    if chosen is None:
        return found
    keys: dict[str, object] = {}
    for e in stanzas[chosen]:
        if _unreadable(e):
            found.ignored(f"ELILO line `{e.value[:60]}` (not option=value)", e.span)
        elif e.key not in _STANZA or e.key in keys:
            found.ignored(f"ELILO option `{e.key}` in the default stanza", e.span)
        elif e.key == "label" and e.value != "linux":
            found.ignored(f"ELILO label `{e.value}` (virtc writes label=linux)", e.value_span)
            keys[e.key] = e
        else:
            keys[e.key] = e
    image, vmm = keys["image"], keys.get("vmm")
    found.set("arch", "ia64", image.span)
    found.set("kernel_kind", "xen" if vmm is not None else "linux", (vmm or image).span)
    image_name = image.value.rsplit("/", 1)[-1]
    vmm_name = vmm.value.rsplit("/", 1)[-1] if vmm is not None else ""
    for e, name in ((image, image_name), (vmm, vmm_name)):
        if e is not None and name != e.value:
            found.ignored(f"the boot files' folder of `{e.value}` (virtc writes file names only)", e.value_span)
    version = None
    if vmm_name.startswith("xen.gz-"):
        version = vmm_name[len("xen.gz-"):]
    elif image_name.startswith("vmlinuz-"):
        version = image_name[len("vmlinuz-"):]
    if version and vmm is not None and version.endswith("xen"):
        version = version[:-len("xen")]
    if version:
        found.set("kernel", version, (vmm or image).value_span)
    else:
        found.ignored(f"kernel image `{image.value}` (virtc names it vmlinuz-VERSION)", image.value_span)
    words = _append_words(src, keys["append"]) if "append" in keys else Words(src, [])
    derived_args: list[str] = []
    derived_xen: list[str] = []
    if vmm is not None:
        sep = words.find(lambda w: w == "--")
        # Without `--` ELILO hands the whole line to the hypervisor (VF602 says so).
        hyp = Words(src, words.items[:sep] if sep is not None else words.items)
        kernel = Words(src, words.items[sep + 1:] if sep is not None else [])
        # VF602 already warns about a dom0_mem without a unit in elilo.conf.
        take_hypervisor_facts(found, hyp, derived_xen, unsuffixed_note=False)
        xen_args, args = hyp.rest(), kernel.rest()
    else:
        take_linux_derived(found, words, derived_args)
        xen_args, args = None, words.rest()
    if derived_args or derived_xen:
        found.host["boot_derived"] = {"args": tuple(derived_args), "xen_args": tuple(derived_xen)}
    rootfs = keys["root"].value if "root" in keys and keys["root"].value else None
    found.set("grub", GrubSettings(None, rootfs, args, None, None, xen_args), image.span)
    return found
