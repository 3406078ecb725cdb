"""Host platform rules (checklist areas HOST, MISC): CPU features, releases, packages, names."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
