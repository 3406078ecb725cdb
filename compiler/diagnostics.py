"""The one diagnostic type used by the parser, the compiler, the rules and the readers."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .owner import Owner
from .source import Span


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        return cls[text.upper()]


@dataclass(frozen=True, slots=True)
class Related:
    """A second place that explains a diagnostic (the first duplicate, the template...)."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None = None
    owner: Owner | None = None  # what it is about: host xen1, guest web07, disk xvdb
    hint: str | None = None
    guide: str | None = None  # "RHEL 5 Virtualization Guide §5.3, lines 511, 540"
    related: tuple[Related, ...] = field(default=())

    def __post_init__(self):
        if self.owner is not None and not isinstance(self.owner, Owner):
            raise TypeError(f"{self.code}: owner must be an Owner, not {type(self.owner).__name__}")

    @property
    def path(self) -> str:
        """The logical path shown to people: "host xen1 / guest web07 / disk xvdb"."""
        return self.owner.label if self.owner is not None else ""

    def sort_key(self):
        s = self.span
        return (s.file if s else "", s.line if s else 0, s.col if s else 0, self.code, self.message)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "span": self.span.to_json() if self.span else None,
            "path": self.path,
            "hint": self.hint,
            "guide": self.guide,
            "related": [{"span": r.span.to_json(), "message": r.message} for r in self.related],
        }


def error(code: str, message: str, span: Span | None, **kw) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, **kw)


def warning(code: str, message: str, span: Span | None, **kw) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, **kw)


def info(code: str, message: str, span: Span | None, **kw) -> Diagnostic:
    return Diagnostic(code, Severity.INFO, message, span, **kw)


def has_errors(diags) -> bool:
    return any(d.severity is Severity.ERROR for d in diags)
