"""JSON data and JSON Schemas shipped with virtc (limits, model, configuration)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

# Beside this module (package data, installed as files): pathlib, not importlib.resources,
# which imports zipfile and tempfile for zipped packages (see virtc.grammar).
HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Load schemas/NAME (e.g. 'model.schema.json')."""
    return json.loads((HERE / name).read_text(encoding="utf-8"))
