"""Boot rules (checklist area BOOT): the host's GRUB or ELILO entry, guest boot settings."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
