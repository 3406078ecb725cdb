"""What `virtc convert` says about a conversion itself (the file's own problems are its
format's rules). Reported while converting (Scope.READER)."""
from __future__ import annotations

from ..diagnostics import Severity
from .base import Rule, Scope

NOT_CHECKABLE: dict[str, str] = {}


class ConvertLossy(Rule):
    """`virtc convert` says what the output format cannot carry, or why it wrote nothing.

    What it checks: after writing an xm config as libvirt domain XML (or back), virtc reads
    the output again and writes the input's format from it; a line that comes out
    different names a setting the output cannot hold (warning). A guest that cannot be
    written at all is an error, at the value when there is one: a KVM guest has no xm
    config, and a value one format allows may be impossible in the other. An xm string
    carries a double quote (it is written '...', as libvirt writes it), but not a
    backslash, which xend's Python reads as an escape and libvirt's reader of /etc/xen
    does not; a comma inside a field of a disk, vif or vfb entry (`<source
    file='/srv/a,b.img'/>`) would end the field, and the rest would be read as other
    fields; xend starts no guest whose name has characters other than letters, digits and
    _-.:/+.

    Why: xend and libvirt each start the guest from their own file (guide §31, §34.12), so
    a converted file that silently lacks a setting starts a different guest. RHEL 5's
    libvirt (0.8.2) has no element for a vif's `rate=` limit (guide §32.10), and an xm
    config names one display, no `<source network>` and no architecture (xend runs what
    the image holds, so the guest takes the host's).

    Example:
        vif = [ "mac=00:16:3e:10:00:01,bridge=xenbr1,rate=10MB/s" ]   # virtc convert --to xml

    Fix: set what was left out by hand in the converted file, or keep the setting where
    it can be expressed (a .virt file writes both: `virtc import`, then `virtc build`).
    """

    code, name, severity = "VF007", "convert-lossy", Severity.WARNING
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER
