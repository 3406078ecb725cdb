"""libvirt's own RelaxNG schemas, applied by `virtc lint` to the XML files it reads.

libvirt installs its schemas with the library (/usr/share/libvirt/schemas on Debian and
RHEL; `--schemas DIR` or VIRTC_LIBVIRT_SCHEMAS elsewhere). Compiling domain.rng takes
about as long as checking a hundred documents, so each schema is compiled once per
process and kept: a lint of 1,000 domain XMLs compiles it once, where running
virt-xml-validate per file compiles it 1,000 times. Without the schemas the check is
skipped (and `virtc lint` still reads every file with its own reader).
"""
from __future__ import annotations

import os
import re
from functools import lru_cache

from lxml import etree

from virtc.diagnostics import Diagnostic, warning
from virtc.source import SourceFile
from .xmlsafe import Locator, _point, parse

DEFAULT_DIRS = ("/usr/share/libvirt/schemas", "/usr/local/share/libvirt/schemas")


def schema_dir(given: str | None = None) -> str | None:
    for d in (given, os.environ.get("VIRTC_LIBVIRT_SCHEMAS"), *DEFAULT_DIRS):
        if d and os.path.isfile(os.path.join(d, "domain.rng")):
            return d
    return None


@lru_cache(maxsize=None)
def _compiled(directory: str, name: str) -> "etree.RelaxNG | None":
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        return None
    # The schemas are libvirt's installed files, not user input; includes are resolved
    # from the same folder, nothing from the network.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.RelaxNG(etree.parse(path, parser))


_NAMED = re.compile(r"(?:Extra element|Expecting element|Element|Did not expect element) (\w[\w:-]*)")


def _element_span(where: Locator, root, err):
    """libxml2 reports the line of the parent whose content failed; point at the element
    the message names instead, when there is one at or after that line."""
    m = _NAMED.search(err.message or "")
    if not m:
        return None
    for el in root.iter(m.group(1)):
        if (el.sourceline or 0) >= (err.line or 0):
            return where.span(el)
    return None


def check(src: SourceFile, name: str, directory: str | None) -> list[Diagnostic]:
    """VF711 for each place libvirt's schema `name` (domain.rng ...) rejects; nothing when
    the schema is absent or the file is not well-formed (the reader reports that)."""
    if directory is None:
        return []
    rng = _compiled(directory, name)
    root, problems = parse(src)
    if rng is None or root is None or problems:
        return []
    if rng.validate(root.getroottree()):
        return []
    # The first error is the cause; libxml2's later ones ("Invalid sequence in interleave",
    # "Element domain failed to validate content") restate it for each enclosing element.
    errors = list(rng.error_log)
    first = errors[0]
    more = f" ({len(errors) - 1} follow-on messages not shown)" if len(errors) > 1 else ""
    return [warning("VF711", f"libvirt's schema ({name}) rejects this: {first.message}{more}",
                    _element_span(Locator(src, root), root, first) or _point(src, first.line or 1, 1),
                    hint="`virsh define` would refuse the file; compare with `virsh dumpxml` output "
                         "of a working guest")]
