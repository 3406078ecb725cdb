"""Reading existing configuration files safely: size, binary and encoding checks, then the
format's own reader (which never executes anything)."""
from __future__ import annotations

import os

from .bounds import BOUNDS
from .diagnostics import Diagnostic, error, info
from .source import SourceFile

LIMIT = BOUNDS["config_bytes"]
MAX_BYTES = LIMIT.value


def read_text(path: str, shown: str | None = None, walked: bool = False) -> tuple[SourceFile | None, list[Diagnostic]]:
    """The file as text, or a diagnostic saying why it cannot be read. `shown` is the name
    the file goes by when `path` is where a link of that name leads (diagnostics use it).
    `walked`: the file was found in a folder given, not named, and neither its path nor its
    name says it is a configuration virtc reads: a binary file, one too large, one not
    UTF-8 or a link that leads nowhere is then no configuration file of virtc's (an image
    beside the configs, a copy of /etc's /etc/mtab link), noted and skipped, not an error."""
    name = shown or path
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            if walked:
                return None, [info("VF002", f"{name}: {size:,} bytes, more than any configuration file; skipped", None)]
            return None, [error(LIMIT.code, f"{name} is {size:,} bytes; virtc reads files up to "
                                            f"{LIMIT.shown}", None, hint="move the file out of the configuration folder")]
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # a device (/dev/zero) says size 0: read no further
    except OSError as exc:
        if walked:
            return None, [info("VF002", f"{name}: cannot be read ({exc.strerror or exc}); skipped", None)]
        return None, [error("VF001", f"cannot read {name}: {exc.strerror or exc}", None)]
    if len(data) > MAX_BYTES:
        return None, [error(LIMIT.code, f"{name} is more than {MAX_BYTES:,} bytes; virtc reads files up to "
                                        f"{LIMIT.shown}", None, hint="move the file out of the configuration folder")]
    if b"\0" in data:
        if walked:
            return None, [info("VF002", f"{name}: a binary file, not a configuration file; skipped", None)]
        return None, [error("VF001", f"{name} is a binary file, not a configuration file", None)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if walked:
            return None, [info("VF002", f"{name}: not UTF-8 text, not a configuration virtc reads; skipped", None)]
        src = SourceFile(name, data.decode("latin-1"))
        return None, [error("VF001", f"{name} is not UTF-8 (byte 0x{data[exc.start]:02x})",
                            src.span(exc.start, exc.start + 1),
                            hint="xm configs must be ASCII; convert the file or remove the character")]
    return SourceFile(name, text), []
