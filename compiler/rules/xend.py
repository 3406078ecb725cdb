"""Xen daemon and xm config rules (checklist area XEN)."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
