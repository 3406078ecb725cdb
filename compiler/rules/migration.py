"""Migration rules (checklist area MIG): migration groups, shared storage, relocation."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
