"""Regular expressions that come from a user's file (SELinux file contexts, xend's
relocation-hosts-allow): compiled without letting the text raise."""
from __future__ import annotations

import re
import warnings


def regex_error(pattern: str) -> str | None:
    """Why Python's re cannot compile `pattern`, or None when it can.

    Besides re.error, re raises OverflowError for a repeat count past its limit
    (`a{99999999999}`) and RecursionError for groups nested a few hundred deep: both come
    from the user's text, so both are findings, never tracebacks."""
    try:
        with warnings.catch_warnings():  # re warns of some patterns (a nested set) on stderr
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except re.error as exc:
        return str(exc)
    except OverflowError:
        return "a repeat count is too large"
    except RecursionError:
        return "its groups are nested too deeply"
    return None


def compiled(pattern: str) -> re.Pattern | None:
    """The compiled pattern, or None when regex_error has a reason."""
    return re.compile(pattern) if regex_error(pattern) is None else None
