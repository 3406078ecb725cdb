"""Network rules (checklist area NET): NICs, MACs, bridges, virtual networks, firewall."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
