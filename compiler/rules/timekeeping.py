"""Timekeeping rules (checklist area TIME): constant TSC, guest clock parameters."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
