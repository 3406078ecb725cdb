"""The library API: check and build .virt files. The CLI and the editor server use this."""
from __future__ import annotations

from dataclasses import dataclass, field

from virtc.targets import registry

from . import build as _build
from . import modeljson
from .diagnostics import Diagnostic, Severity
from .model import Model
from .resolve import compile_sources
from .source import SourceFile


@dataclass
class Outcome:
    model: Model | None
    diagnostics: list[Diagnostic]
    sources: dict[str, SourceFile]
    artifacts: list = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def model_json(self) -> str:
        return modeljson.dumps(self.model) if self.model else ""


def target_names() -> list[str]:
    return list(registry())


def check(files: list[str], texts: dict[str, str] | None = None) -> Outcome:
    r = compile_sources(files, texts)
    return Outcome(r.model, r.diagnostics, r.sources)


def build(files: list[str], output: str | None, targets: list[str] | None = None,
          write: bool = True) -> Outcome:
    """Compile; if there is no error, emit and (when write) write the tree atomically."""
    out = check(files)
    if out.model is None or out.has_errors:
        return out
    arts, diags = _build.artifacts(out.model, targets)
    out.diagnostics.extend(diags)
    out.artifacts = arts
    if write and not out.has_errors and output is not None:
        _build.write_tree(arts, output)
    return out
