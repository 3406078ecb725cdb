"""Security rules (checklist area SEC): SELinux labels and booleans, host hardening."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
