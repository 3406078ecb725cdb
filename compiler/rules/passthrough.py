"""PCI passthrough and SR-IOV rules (checklist areas PCI, SRIOV)."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
