"""Regular expressions that come from a user's file (SELinux file contexts, xend's
relocation-hosts-allow): compiled without letting the text raise."""
from __future__ import annotations

import re
import warnings


def _compile(pattern: str) -> tuple[re.Pattern | None, str | None]:
    """(the compiled pattern, None), or (None, why Python's re cannot compile it).

    Besides re.error, re raises OverflowError for a repeat count past its limit
    (`a{99999999999}`), ValueError for one of thousands of digits, and RecursionError for groups nested a few hundred deep: both come
    from the user's text, so both are findings, never tracebacks."""
    try:
        with warnings.catch_warnings():  # re warns of some patterns (a nested set) on stderr
            warnings.simplefilter("ignore")
            return re.compile(pattern), None
    except re.error as exc:
        return None, str(exc)
    except (OverflowError, ValueError):  # ValueError: a count past Python's int-string digit limit
        return None, "a repeat count is too large"
    except RecursionError:
        return None, "its groups are nested too deeply"


def regex_error(pattern: str) -> str | None:
    """Why Python's re cannot compile `pattern`, or None when it can."""
    return _compile(pattern)[1]


def compiled(pattern: str) -> re.Pattern | None:
    """The compiled pattern, or None when regex_error has a reason."""
    return _compile(pattern)[0]
