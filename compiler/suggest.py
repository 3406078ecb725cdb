"""'Did you mean' for names and keywords."""
from __future__ import annotations

import difflib
from functools import lru_cache


def did_you_mean(word: str, choices) -> str | None:
    match = closest(word, choices)
    return f"did you mean '{match}'?" if match else None


def one_of(choices) -> str:
    items = [f"'{c}'" for c in choices]
    return ", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else items[0]


def closest(word: str, choices) -> str | None:
    """The one choice `did_you_mean` would name, or None: what a fix may write."""
    choices = tuple(choices)
    return close_match(word, choices) or next((c for c in choices if c.lower() == word.lower()), None)


@lru_cache(maxsize=1024)
def close_match(word: str, choices: tuple[str, ...], cutoff: float = 0.6) -> str | None:
    """difflib's closest match of `word` among `choices` (a tuple), or None. Cached: it
    costs a millisecond per word against a hundred choices, and a file that repeats an
    unknown key thousands of times asks the same question each time."""
    match = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return match[0] if match else None
