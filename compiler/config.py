"""Project configuration: `virtc.toml`, or `[tool.virtc]` in pyproject.toml, found by
searching upward from the first input file. It can change a rule's severity or turn it
off, turn inline suppressions off, and name where the rule reference is published
(`docs-url`). Validated by schemas/config.schema.json."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field

from virtc.schemas import load

from .diagnostics import Diagnostic, Severity, error
from .source import SourceFile
from .suggest import did_you_mean

SEVERITIES = {"info": Severity.INFO, "warning": Severity.WARNING, "error": Severity.ERROR}


@dataclass(frozen=True)
class Selection:
    """Which codes are reported, as ruff selects them: codes, prefixes (`VS`, `VF7`) or rule
    names. `select` None means every code; the longest selector matching a code decides, and
    between a select and an ignore of the same length the ignore wins."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()

    def over(self, base: "Selection") -> "Selection":
        """This (the command line's) over `base` (the file's): a new select replaces the
        file's; ignores and extensions add up."""
        return Selection(self.select if self.select is not None else base.select,
                         base.ignore + self.ignore, base.extend_select + self.extend_select)

    def enabled(self, code: str) -> bool:
        chosen = (("",) if self.select is None else self.select) + self.extend_select
        best = max((len(p) for p in chosen if code.startswith(p)), default=-1)
        dropped = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return best >= 0 and best > dropped


@dataclass
class Config:
    path: str | None = None
    severities: dict[str, Severity | None] = field(default_factory=dict)  # code -> None when off
    inline_ignores: bool = True
    selection: Selection = Selection()
    docs_url: str | None = None  # base URL of the rule reference: SARIF helpUri, the editor's code link

    def severity(self, code: str, default: Severity) -> Severity | None:
        """The code's severity here; None when it is off or not selected."""
        if not self.selection.enabled(code):
            return None
        return self.severities.get(code, default)


def selectors(values, known_rules) -> tuple[tuple[str, ...], list[str]]:
    """Selectors (codes, prefixes, rule names) as code prefixes, and the ones that name
    nothing (an unknown name, or a prefix no code starts with)."""
    codes = known_rules.known()
    out, bad = [], []
    for v in values:
        v = v.strip()
        if not v:
            continue
        code = known_rules(v)
        if code is not None:
            out.append(code)
        elif v.upper() == v and any(c.startswith(v) for c in codes):
            out.append(v)
        else:
            bad.append(v)
    return tuple(out), bad


def find(start: str) -> tuple[str, dict] | None:
    """The nearest virtc.toml or pyproject.toml with [tool.virtc] at or above start."""
    here = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        cand = os.path.join(here, "virtc.toml")
        if os.path.isfile(cand):
            return cand, None
        cand = os.path.join(here, "pyproject.toml")
        if os.path.isfile(cand):
            try:
                with open(cand, "rb") as fh:
                    data = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError):
                data = {}
            if "virtc" in data.get("tool", {}):
                return cand, data["tool"]["virtc"]
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _span_of(src: SourceFile, needle: str):
    idx = src.text.find(needle)
    if idx < 0:
        return src.span(0, 0)
    return src.span(idx, idx + len(needle))


def load_config(path: str | None, start: str, known_rules,
                cli: Selection | None = None) -> tuple[Config, list[Diagnostic], SourceFile | None]:
    """Find (or read the given) configuration, with the command line's selection `cli`
    over the file's. known_rules(name) -> code or None."""
    cfg, diags, src = _load_config(path, start, known_rules)
    if cli is not None and not diags:
        cfg.selection = cli.over(cfg.selection)
    return cfg, diags, src


def _load_config(path: str | None, start: str, known_rules) -> tuple[Config, list[Diagnostic], SourceFile | None]:
    section = None
    if path is None:
        found = find(start)
        if found is None:
            return Config(), [], None
        path, section = found
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Config(), [error("VR040", f"cannot read configuration {path}: {exc}", None)], None
    src = SourceFile(path, text)
    if section is None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return Config(path), [error("VR040", f"configuration is not valid TOML: {exc}", src.span(0, 0))], src
        if path.endswith("pyproject.toml"):
            data = data.get("tool", {}).get("virtc", {})
    else:
        data = section
    diags = []
    import jsonschema  # here, not at the top: most runs have no configuration to validate

    validator = jsonschema.Draft202012Validator(load("config.schema.json"))
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        if err.validator == "additionalProperties":
            extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
            for key in extra:
                hint = did_you_mean(key, err.schema.get("properties", {}))
                diags.append(error("VR040", f"unknown configuration key '{key}'", _span_of(src, key),
                                   hint=hint or f"known keys: {', '.join(sorted(err.schema.get('properties', {})))}"))
        else:
            where = ".".join(str(p) for p in err.path) or "(top level)"
            diags.append(error("VR040", f"configuration {where}: {err.message}",
                               _span_of(src, str(err.path[-1]) if err.path else "virtc")))
    cfg = Config(path)
    if diags:
        return cfg, diags, src
    for key, value in data.get("rules", {}).items():
        code = known_rules(key)
        if code is None:
            diags.append(error("VR040", f"configuration names unknown rule '{key}'", _span_of(src, key),
                               hint=did_you_mean(key, known_rules.known()) or "see `virtc rules`"))
            continue
        cfg.severities[code] = None if value == "off" else SEVERITIES[value]
    cfg.inline_ignores = data.get("inline-ignores", True)
    cfg.docs_url = data.get("docs-url")
    chosen = {}
    for key in ("select", "ignore", "extend-select"):
        if key in data:
            chosen[key], bad = selectors(data[key], known_rules)
            for v in bad:
                diags.append(error("VR040", f"configuration {key} names no code: '{v}'", _span_of(src, v),
                                   hint=did_you_mean(v, known_rules.known()) or "give codes (VS101), prefixes "
                                                                                "(VS, VF7) or rule names"))
    cfg.selection = Selection(chosen.get("select"), chosen.get("ignore", ()), chosen.get("extend-select", ()))
    return cfg, diags, src
