"""The one diagnostic type used by the parser, the compiler, the rules and the readers."""
from __future__ import annotations

import enum
from dataclasses import field

from .frozen import frozen
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


@frozen
class Related:
    """A second place that explains a diagnostic (the first duplicate, the template...)."""

    span: Span
    message: str


class Applicability(enum.Enum):
    """Whether a fix may be applied without a person reading it (ruff's terms): a safe fix
    keeps what the file means or writes what it plainly meant; an unsafe one changes what
    it does, or picks one answer among several (`--unsafe-fixes` applies those too)."""
    SAFE = "safe"
    UNSAFE = "unsafe"

    def __str__(self) -> str:
        return self.value


@frozen
class Edit:
    """Replace the characters [start, end) of a file's text with `text` (an insertion when
    start == end, a deletion when text is empty). Offsets are those of Span.start/end."""

    start: int
    end: int
    text: str

    @classmethod
    def replace(cls, span: Span, text: str) -> Edit:
        return cls(span.start, span.end, text)

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


@frozen
class Fix:
    """The mechanical fix of one finding: edits of one file, applied together or not at all."""

    message: str
    file: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE

    @classmethod
    def replace(cls, message: str, span: Span, text: str, *, safe: bool = True) -> Fix:
        """The common case: write `text` in place of the span."""
        return cls(message, span.file, (Edit.replace(span, text),),
                   Applicability.SAFE if safe else Applicability.UNSAFE)

    @property
    def safe(self) -> bool:
        return self.applicability is Applicability.SAFE

    def to_json(self) -> dict:
        return {"message": self.message, "applicability": str(self.applicability), "file": self.file,
                "edits": [e.to_json() for e in self.edits]}


@frozen
class Diagnostic:
    """One finding: its code, severity and message, where it is and what it is about, and how to fix it."""

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    owner: Owner | None = None  # what it is about: host xen1, guest web07, disk xvdb
    hint: str | None = None
    guide: str | None = None  # "RHEL 5 Virtualization Guide §5.3, lines 511, 540"
    related: tuple[Related, ...] = field(default=())
    fix: Fix | None = None  # its mechanical fix, if it has one (virtc lint --fix)

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
            "fix": self.fix.to_json() if self.fix else None,
        }


def error(code: str, message: str, span: Span | None, **kw) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, **kw)


def warning(code: str, message: str, span: Span | None, **kw) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, **kw)


def info(code: str, message: str, span: Span | None, **kw) -> Diagnostic:
    return Diagnostic(code, Severity.INFO, message, span, **kw)


def has_errors(diags) -> bool:
    return any(d.severity is Severity.ERROR for d in diags)


EXCERPT = 60  # characters of a value from a user's file quoted in a message


def excerpt(text: str) -> str:
    """`text` to quote in a message: a long one by its start, so that a message does not
    repeat a huge value (and many messages about it do not cost its length each)."""
    return text if len(text) <= EXCERPT else text[:EXCERPT - 3] + "..."
