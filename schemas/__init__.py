"""JSON data and JSON Schemas shipped with virtc (limits, model, configuration)."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Load schemas/NAME (e.g. 'model.schema.json')."""
    return json.loads((files(__package__) / name).read_text(encoding="utf-8"))
