"""The files under a folder, in os.walk's order, found with a stack of our own.

Why not os.walk or Path.rglob: in Python 3.11 both call themselves once per level of
folders, and a tree nested deeper than the recursion limit (about 1,000 folders: a
broken copy, a loop made of bind mounts) raised RecursionError out of lint and check."""
from __future__ import annotations

import os


def files_under(root: str, skip=frozenset()) -> list[str]:
    """Every file under root, as os.walk(root) finds them with each folder's names sorted:
    a folder's files, then each of its folders in turn. Links to folders are not followed
    (a link to a file, or to nothing, is a file); a folder that cannot be listed is left
    out; names in `skip` are left out, files and folders alike."""
    out = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:
            continue
        files, folders = [], []
        for e in listed:
            if e.name in skip:
                continue
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                files.append(e.name)
            elif not e.is_symlink():
                folders.append(e.name)
        out += [os.path.join(folder, f) for f in sorted(files)]
        stack += [os.path.join(folder, d) for d in sorted(folders, reverse=True)]
    return out
