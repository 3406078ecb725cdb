"""Guest OS, architecture and driver rules (checklist area GOS)."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
