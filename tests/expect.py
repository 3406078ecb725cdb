"""What a rule case expects, and what a run found, in one comparable form.

A case file lists each finding it must produce as a `#> CODE severity line:col` marker in
one of its comments: `# ... #> VS109 warning 4:3` in .virt, xm, shell and TOML files,
`<!-- #> VF702 error 1:1 -->` in XML. A finding with no place in any file (import's VF006,
a configuration file that cannot be read) is `#> CODE severity 0:0`. Every test that
reads markers reads them here, so they all mean the same thing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from virtc.diagnostics import Diagnostic

MARKER = re.compile(r"#>\s*(?P<code>V[A-Z][0-9]{3})\s+(?P<sev>error|warning|info)\s+(?P<line>[0-9]+):(?P<col>[0-9]+)")


@dataclass(frozen=True, order=True)
class Finding:
    file: str  # the file's name; "" for a finding with no place (0:0)
    code: str
    severity: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.code} {self.severity}"


def expected(paths: Iterable[Path]) -> list[Finding]:
    """The markers of the files, sorted."""
    out = []
    for path in paths:
        for m in MARKER.finditer(path.read_text(errors="replace")):
            line, col = int(m["line"]), int(m["col"])
            out.append(Finding(path.name if line else "", m["code"], m["sev"], line, col))
    return sorted(out)


def found(diags: Iterable[Diagnostic]) -> list[Finding]:
    """The diagnostics in the form of the markers, sorted."""
    return sorted(Finding(d.span.file.rsplit("/", 1)[-1], d.code, str(d.severity), d.span.line, d.span.col)
                  if d.span else Finding("", d.code, str(d.severity), 0, 0) for d in diags)
