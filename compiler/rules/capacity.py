"""CPU and memory rules (checklist areas CPU, MEM): vCPUs, overcommit, memory limits."""
from __future__ import annotations

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {}
