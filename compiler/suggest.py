"""'Did you mean' for names and keywords."""
from __future__ import annotations

import difflib


def did_you_mean(word: str, choices) -> str | None:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not match:
        match = [c for c in choices if c.lower() == word.lower()]
    return f"did you mean '{match[0]}'?" if match else None


def one_of(choices) -> str:
    items = [f"'{c}'" for c in choices]
    return ", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else items[0]


def closest(word: str, choices) -> str | None:
    """The one choice `did_you_mean` would name, or None: what a fix may write."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not match:
        match = [c for c in choices if c.lower() == word.lower()]
    return match[0] if match else None
