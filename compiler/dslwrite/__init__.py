"""The resolved model as .virt text: the writer behind `virtc import`.

`write(model)` turns hosts and guests (compiled from .virt files or read from existing
configs) into the language of grammar/README.md, so that compiling the text gives back a
model that emits the same files. The text is written the way a person would write it:

* A setting equal to what the compiler would put there by itself is left out: defaults
  (`vcpus 1`, `clock utc`, `on crash restart`, a disk's driver and bus from its target and
  path, `bootloader pygrub` for PV guests, a NIC's model and vif script), automatic MACs
  and UUIDs (compared with exactly what identity.py would assign in this fleet), and what
  derive.py or the resolver adds (xend `network-script /bin/true`, bridge sysctls, IOMMU
  and clock arguments on kernel lines, loop and pciback module options).
* Guests on one host whose names are a base and consecutive numbers, and whose settings
  differ only in what `{name}`, `{host}` and `{index}` express, become one ranged guest
  (`guest web[01..12] { disk xvda "/var/lib/libvirt/images/{name}.img" }`).
* Settings shared by several guests (or ranges) go into a template; see
  grouping.choose_templates.
* Guests are written inside their host's block (a host name that is not a plain name can
  still carry guests that way), hosts and guests sorted by name.
* The layout is fmt's canonical one: the text is laid out by virtc.fmt.format_text.

Every string goes through quote(); a value the language cannot carry raises ValueError
naming the host or guest and the field. A missing value (a NIC without a MAC or model, a
guest without a UUID, an image directory without a label) is written as the language's
default, since there is nothing to lose.

The modules: tokens (token shapes, quoting, sizes), forms (interpolation forms), plans
and guests (a guest's statements), hosts (a host's statements), derived (what virtc
adds by itself), grouping (ranges and templates) and printing (write).
"""
from .forms import interp_forms
from .printing import write
from .tokens import Unwritable, quote

__all__ = ["Unwritable", "interp_forms", "quote", "write"]
