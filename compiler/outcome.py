"""What a command of the library API gives back: the model, the diagnostics, the files
read, and what build, import and convert produce."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import modeljson
from .diagnostics import Diagnostic, Severity
from .model import Model
from .source import SourceFile


@dataclass
class Outcome:
    model: Model | None
    diagnostics: list[Diagnostic]
    sources: dict[str, SourceFile]
    artifacts: list = field(default_factory=list)
    config_errors: list[Diagnostic] = field(default_factory=list)
    text: str | None = None  # what import and convert produce
    config_file: str | None = None  # the configuration read (it is in sources, but no input)
    left_out: list[str] = field(default_factory=list)  # import: the guests whose files could not be read
    docs_url: str | None = None  # the configuration's base URL of the rule reference (docs-url)
    build_cache: object = None  # build: the virtc.buildcache.BuildCache to write with the tree

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def model_json(self) -> str:
        return modeljson.dumps(self.model) if self.model else ""
