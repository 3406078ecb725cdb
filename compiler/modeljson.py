"""The model as JSON (`virtc build --emit model`), described by schemas/model.schema.json."""
from __future__ import annotations

import dataclasses
import json

from .model import FieldSpans, Model
from .source import Span


def to_data(obj):
    if isinstance(obj, Span):
        return obj.to_json()
    if isinstance(obj, FieldSpans):
        return {k: v.to_json() for k, v in obj.items}
    if dataclasses.is_dataclass(obj):
        data = {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        data.pop("owner", None)  # shown as its logical path, as before owners were structured
        if hasattr(obj, "path_label"):
            data["logical_path"] = obj.path_label
        return data
    if isinstance(obj, (tuple, list)):
        return [to_data(x) for x in obj]
    return obj


def dumps(model: Model) -> str:
    data = to_data(model)
    data["format"] = "virtc-model/1"
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
