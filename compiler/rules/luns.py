"""LUN persistence rules (checklist area MPIO): multipath aliases, udev names, iSCSI."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
