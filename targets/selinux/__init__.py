"""SELinux settings the guide's procedures make (§18.2, §18.3, §14.1): local file contexts,
persistent booleans, the host's mode, and the `semanage fcontext` / `setsebool` commands
of a setup script. virtc reads them; it does not write them.
"""
from __future__ import annotations

import re

from ..format import Format
from . import booleans, commands, config, fcontext

_COMMAND = re.compile(r"^[ \t]*(\S*/)?(semanage[ \t]+fcontext|setsebool)\s", re.M)
_MODE = re.compile(r"^[ \t]*SELINUX[ \t]*=", re.M)


def _commands(text: str, name: str = "") -> bool:
    return bool(_COMMAND.search(text))


def _config(text: str, name: str = "") -> bool:
    return bool(_MODE.search(text)) and bool(re.search(r"^[ \t]*SELINUXTYPE[ \t]*=", text, re.M))


FCONTEXT = Format(
    "fcontext", "local SELinux file contexts (file_contexts.local)",
    paths=("etc/selinux/*/contexts/files/file_contexts.local",), names=("*file_contexts.local",),
    read=fcontext.read, rules=fcontext.RULES, facts=("labels",))
BOOLEANS = Format(
    "sebool", "persistent SELinux booleans (booleans.local)",
    paths=("etc/selinux/*/modules/active/booleans.local",), names=("*booleans.local",),
    read=booleans.read, rules=booleans.RULES, facts=("sebools",))
# A host's /etc/selinux/config says its SELinux files were copied with it: without a
# file_contexts.local or booleans.local beside it, the host has no local labels and no
# persistent booleans (the policy's own apply), which is a fact, not an unknown.
CONFIG = Format(
    "selinux-config", "the SELinux mode the host boots in (/etc/selinux/config)",
    paths=("etc/selinux/config", "etc/sysconfig/selinux"), recognise=_config, read=config.read,
    rules=config.RULES, facts=("labels", "sebools"), single=True)
COMMANDS = Format(
    "selinux-commands", "a setup script's `semanage fcontext` and `setsebool` commands (loose files only)",
    recognise=_commands, read=commands.read, rules=commands.RULES, trailing=True)
