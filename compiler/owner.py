"""What a model element or a diagnostic belongs to: a host, a guest on it, a device of
either. Kept structured so that nothing has to read a host or guest name back out of a
display string ("host xen1 / guest web07 / disk xvdb" is only how it is shown)."""
from __future__ import annotations

from .frozen import frozen


@frozen
class Owner:
    """A host, a guest on it, or a part of either (`part` is how reports name it)."""

    host: str | None = None
    guest: str | None = None
    part: str | None = None  # "disk xvdb", "nic 0", "bridge xenbr0", "pci 0000:09:00.0"

    @property
    def label(self) -> str:
        words = []
        if self.host:
            words.append(f"host {self.host}")
        if self.guest:
            words.append(f"guest {self.guest}")
        if self.part:
            words.append(self.part)
        return " / ".join(words)

    def __str__(self) -> str:
        return self.label

    def of(self, part: str) -> "Owner":
        """A device of this host or guest."""
        return Owner(self.host, self.guest, part)  # not dataclasses.replace: once per device of every guest

    def on(self, host: str) -> "Owner":
        """The same element once its host is known (readers learn it when a host is assembled)."""
        return Owner(host, self.guest, self.part)


class Owned:
    """A model element with an `owner`; `path_label` is how reports show it."""

    __slots__ = ()

    @property
    def path_label(self) -> str:
        return self.owner.label  # type: ignore[attr-defined]

    def at(self, *names: str):
        """Where a finding about these fields points: the first one whose place a reader
        recorded (`<target dev=...>` of a <disk>, the `mac=` of a vif), else the element."""
        fields = getattr(self, "fields", None)
        for name in names if fields is not None else ():
            span = fields.get(name)
            if span is not None:
                return span
        return self.span  # type: ignore[attr-defined]
