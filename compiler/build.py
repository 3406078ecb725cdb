"""Build: model -> artifacts of every target -> an output folder, all or nothing.

The tree is written to a temporary folder next to the destination and swapped with it
in one step (see swap), so a reader, or a kill at any moment, sees the old tree or the
new one, never half of one, and a failed build leaves the old output untouched. A folder
is only replaced if virtc wrote it (it holds MANIFEST_NAME) or it is empty: a mistyped
`-o` never deletes someone's files. A rebuild writes only the files whose bytes changed;
the others are hard links to the previous tree's (see _take_over), and it reuses the
folders of the tree the build before replaced instead of making new ones (see _Spare).
Emitting is cached host by host beside the tree (virtc.buildcache).
"""
from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import shutil
import stat
import tempfile

from virtc.targets import Artifact, registry

from . import progress
from .atomic import fsync_dir, remove_stale
from .diagnostics import Diagnostic, error
from .model import Model
from .owner import Owner

MANIFEST_NAME = ".virtc-manifest"
SPARE_SUFFIX = ".virtc-spare"


class BuildError(Exception):
    """The output folder cannot be written (not a problem in the user's .virt files)."""


def artifacts(model: Model, targets: list[str] | None = None,
              cache=None, jobs: int = 1) -> tuple[list[Artifact], list[Diagnostic]]:
    """All artifacts, sorted by path; diagnostics for unsafe or clashing paths. `cache`
    (a virtc.buildcache.BuildCache) emits host by host, in `jobs` processes, and reuses
    unchanged hosts' files; if they have a problem, everything is emitted again the
    ordinary way, so that the diagnostics, and which of two clashing files wins, are an
    uncached build's."""
    reg = registry()
    chosen = [(name, reg[name]) for name in targets or list(reg)]
    if cache is not None:
        arts, diags = _checked(model, cache.emit(model, chosen, jobs))
        if not diags:
            return arts, diags
    return _checked(model, (a for _, t in chosen for a in t.emit(model)))


def _checked(model: Model, emitted) -> tuple[list[Artifact], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    out: dict[str, Artifact] = {}
    # an artifact names the host or guest it comes from; its diagnostics point there
    where = {x.owner: x.span for x in (*model.hosts, *model.guests)}
    for art in emitted:
        progress.advance()
        problem = unsafe_path(art.path)
        if problem:
            diags.append(error("VT001", f"refusing to write '{art.path}': {problem}", _span(where, art.source),
                               owner=art.source))
            continue
        if art.path in out:
            diags.append(error("VT002", f"two outputs want the same file '{art.path}'", _span(where, art.source),
                               owner=art.source))
            continue
        out[art.path] = art
    for p in out:  # a file where another output needs a folder (/etc/xen/auto vs auto/NAME)
        parent = p.rsplit("/", 1)[0]
        while "/" in parent:
            if parent in out:
                diags.append(error("VT002", f"'{parent}' is both a file and the folder of '{p}'", _span(where, out[parent].source),
                                   owner=out[parent].source))
                break
            parent = parent.rsplit("/", 1)[0]
    return [out[p] for p in sorted(out)], diags


def _span(where: dict, owner: Owner | None):
    """Where the host or guest an artifact comes from is declared (a bridge's file: its host)."""
    if owner is None:
        return None
    return where.get(owner) or where.get(Owner(owner.host, owner.guest)) or where.get(Owner(owner.host))


def unsafe_path(path: str) -> str | None:
    """Relative, normalised, no '..', no empty or hidden-dot components."""
    if path.startswith("/") or "\\" in path or "\0" in path:
        return "not a relative path"
    if not path.isascii() or not path.isprintable():
        return "it contains a control or non-ASCII character"
    if posixpath.normpath(path) != path:
        return "not in normal form"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "it would leave the output folder"
    return None


def manifest(arts: list[Artifact]) -> str:
    lines = []
    for a in arts:
        if a.link is not None:
            lines.append(f"link {a.path} -> {a.link}")
        else:
            lines.append(f"{hashlib.sha256(a.text.encode()).hexdigest()}  {a.path}")
    return "\n".join(lines) + "\n"


def read_manifest(dest: str) -> dict[str, str]:
    """path -> sha256 of a file, or '-> TARGET' of a link, as the last build recorded it."""
    out = {}
    try:
        with open(os.path.join(dest, MANIFEST_NAME), encoding="utf-8") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if line.startswith("link ") and " -> " in line:
                    path, target = line[5:].split(" -> ", 1)
                    out[path] = f"-> {target}"
                elif "  " in line:
                    sha, path = line.split("  ", 1)
                    out[path] = sha
    except (OSError, UnicodeDecodeError):
        pass
    return out


def check_dest(dest: str) -> bool:
    """Whether dest exists; BuildError when a build may not replace it."""
    if not os.path.lexists(dest):
        return False
    if not os.path.isdir(dest):
        raise BuildError(f"{dest} exists and is not a folder")
    entries = os.listdir(dest)
    if entries and MANIFEST_NAME not in entries:
        raise BuildError(f"{dest} is not empty and was not written by virtc; "
                         "choose another folder or empty it")
    return True


def write_tree(arts: list[Artifact], dest: str, cache=None) -> None:
    """Write all artifacts to dest atomically (replacing a previous virtc build); then
    `cache` (the virtc.buildcache.BuildCache that emitted them) beside it, for the next."""
    # A symlinked output folder stays a symlink: the tree replaces the folder it points to.
    dest = os.path.realpath(os.path.abspath(dest))
    parent = os.path.dirname(dest)
    exists = check_dest(dest)
    before = _Previous(dest) if exists else None
    try:
        os.makedirs(parent, exist_ok=True)
        remove_stale(parent, trees=True)  # left by a killed build: provably stale
        spare = _Spare.claim(dest, arts)
        # The pid in the name is what lets a later build prove this folder stale.
        tmp = spare.root if spare else tempfile.mkdtemp(prefix=f".virtc-build-{os.getpid()}-", dir=parent)
    except OSError as exc:
        raise BuildError(f"cannot create a folder in {parent}: {exc.strerror}") from exc
    progress.phase("writing", len(arts))
    try:
        lines = []
        folders = spare.folders if spare else {tmp}
        mode = _file_mode()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for a in arts:
            progress.advance()
            full = _under(tmp, a.path)
            folder = full.rpartition(os.sep)[0]
            if folder not in folders:
                _make_folders(folder, folders)
            if a.link is not None:
                lines.append(f"link {a.path} -> {a.link}")
                if spare is None or not spare.keep_link(a.path, full, a.link):
                    os.symlink(a.link, full)
                continue
            data = a.text.encode("utf-8")
            sha = hashlib.sha256(data).hexdigest()
            lines.append(f"{sha}  {a.path}")
            if spare is not None and spare.keep_file(a.path, full, before and before.usable(a.path, sha, data, mode)):
                continue
            if before is None or not before.take_over(a.path, sha, data, full, mode):
                # os.open, not open(): three system calls a file, not five (fstat, ioctl)
                fd = os.open(full, flags, 0o666)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
        # Written last, so its mtime is later than every file it describes (see _take_over).
        with open(os.path.join(tmp, MANIFEST_NAME), "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        swap(tmp, dest, exists)
    except BaseException as exc:  # KeyboardInterrupt too: never leave the temporary behind
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise BuildError(f"cannot write {dest}: {exc.strerror or exc}") from exc
        raise
    fsync_dir(parent)
    if exists and not _Spare.keep(tmp, dest):
        shutil.rmtree(tmp, ignore_errors=True)  # now the old tree
    if cache is not None:
        try:
            cache.write(dest)
        except OSError:
            pass  # the tree is built; without its cache the next build emits everything


def _make_folders(folder: str, folders: set[str]) -> None:
    """Make `folder` and its parents up to the nearest one in `folders` (the tree's root is
    one), and add them. What is not in `folders` does not exist: the tree was empty or is
    the spare with only its kept folders left (_Spare._prepare). os.makedirs checks the
    parents with a stat each first: for the 351 folders of 50 hosts, 540 system calls
    besides the 351 mkdirs."""
    missing = []
    while folder not in folders and folder:  # (never past the root: a bug fails, not loops)
        missing.append(folder)
        folder = folder.rpartition(os.sep)[0]
    for f in reversed(missing):
        os.mkdir(f)
        folders.add(f)


def _under(root: str, path: str) -> str:
    """The file at `path` (an artifact's: relative, normal, checked by unsafe_path) under
    root; what os.path.join(root, *path.split("/")) gives, a twentieth of its cost (it is
    called two or three times for each of the 46,000 files of a big fleet's rebuild)."""
    return f"{root}{os.sep}{path}" if os.sep == "/" else os.path.join(root, *path.split("/"))


def spare_path(dest: str) -> str:
    """Where the tree before dest's is kept (dest as write_tree resolves it)."""
    return os.path.join(os.path.dirname(dest), f".{os.path.basename(dest)}{SPARE_SUFFIX}")


class _Spare:
    """The tree the build before last wrote, kept beside dest (.DIR.virtc-spare) to become
    the next build's temporary tree.

    Why: removing a tree costs one rmdir per folder and, where the filesystem discards
    freed blocks, milliseconds each; a rebuild of a big fleet spent most of its time
    removing the tree it replaced. So the replaced tree is kept, and the next build
    claims it (one rename, to a temporary name of its own: a killed build leaves a
    provably stale folder, removed as any other) and makes it the new tree: what it
    does not need is removed, a file is kept only if it is the very file (same inode)
    the build would hard-link from dest, a link only if it points where it should, and
    the rest is written as in an empty folder. The result is the tree a fresh build
    writes; the folders are reused instead of made and removed."""

    def __init__(self, root: str, folders: set[str], kinds: dict[str, str]):
        self.root = root
        self.folders = folders  # the folders kept (absolute): no makedirs for them
        self._kinds = kinds  # path -> "f" or "l": what the spare holds there

    @classmethod
    def claim(cls, dest: str, arts: list[Artifact]) -> _Spare | None:
        parent = os.path.dirname(dest)
        # os.urandom is what secrets.token_hex reads; importing secrets (with base64 and hmac) cost more
        root = os.path.join(parent, f".virtc-build-{os.getpid()}-{os.urandom(6).hex()}")
        try:
            os.rename(spare_path(dest), root)
        except OSError:
            return None  # none (the first build, or another build took it)
        try:
            st = os.lstat(root)
            if not stat.S_ISDIR(st.st_mode) or st.st_dev != os.lstat(parent).st_dev:
                raise OSError(errno.EXDEV, "not a folder on this filesystem")
            os.chmod(root, 0o700)  # as mkdtemp makes it
            return cls._prepare(root, arts)
        except OSError:
            _discard(root)
            return None

    @classmethod
    def _prepare(cls, root: str, arts: list[Artifact]) -> _Spare:
        """Remove what no artifact needs (and folders of another mode); keep the rest."""
        wanted = {a.path for a in arts}
        dirs = set()
        for a in arts:
            parent = a.path.rpartition("/")[0]
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = parent.rpartition("/")[0]
        umask = os.umask(0)
        os.umask(umask)
        dir_mode = 0o777 & ~umask
        folders, kinds = {root}, {}
        stack = [("", root)]
        while stack:
            rel, folder = stack.pop()
            with os.scandir(folder) as entries:
                for e in entries:
                    path = f"{rel}/{e.name}" if rel else e.name
                    if e.is_dir(follow_symlinks=False):
                        if path in dirs and stat.S_IMODE(e.stat(follow_symlinks=False).st_mode) == dir_mode:
                            folders.add(e.path)
                            stack.append((path, e.path))
                        else:
                            shutil.rmtree(e.path)
                    elif path in wanted:
                        kinds[path] = "l" if e.is_symlink() else "f"
                    else:
                        os.unlink(e.path)
        return cls(root, folders, kinds)

    def keep_link(self, path: str, full: str, target: str) -> bool:
        kind = self._kinds.get(path)
        if kind == "l" and os.readlink(full) == target:
            return True
        if kind is not None:
            os.unlink(full)
        return False

    def keep_file(self, path: str, full: str, old: os.stat_result | None) -> bool:
        """Whether the spare's file at path is `old` (dest's file, as good as written);
        if not, it is removed."""
        kind = self._kinds.get(path)
        if kind is None:
            return False
        if kind == "f" and old is not None:
            st = os.lstat(full)
            if st.st_ino == old.st_ino and st.st_dev == old.st_dev:
                return True
        os.unlink(full)
        return False

    @staticmethod
    def keep(old_tree: str, dest: str) -> bool:
        """Keep the tree a build replaced as the next build's spare; False if it cannot be."""
        try:
            os.rename(old_tree, spare_path(dest))  # fails if a spare is there: another build's
        except OSError:
            return False
        return True


def _discard(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class _Previous:
    """The tree a rebuild replaces, and what its manifest says about each file."""

    def __init__(self, dest: str):
        self.dest = dest
        self.sha = read_manifest(dest)
        try:
            self.written = os.stat(os.path.join(dest, MANIFEST_NAME)).st_mtime_ns
        except OSError:
            self.sha = {}

    def take_over(self, path: str, sha: str, data: bytes, new: str, mode: int) -> bool:
        """Hard-link the previous tree's file at `path` to `new` if its bytes are `data`;
        False when it must be written."""
        if self.usable(path, sha, data, mode) is None:
            return False
        try:
            os.link(_under(self.dest, path), new)  # fails across filesystems or where links are not allowed
        except OSError:
            return False
        return True

    def usable(self, path: str, sha: str, data: bytes, mode: int) -> os.stat_result | None:
        """The stat of the previous tree's file at `path` if its bytes are `data`, else
        None. The manifest's sha256 says what the last build wrote; the file's mtime says
        whether anyone changed it since: a file modified before the manifest was written
        is as built, one modified after it is written anew, and one in the same clock tick
        is compared byte for byte. The mode must be the one a fresh file would get, so the
        tree is the same as a fresh build's."""
        if self.sha.get(path) != sha:
            return None
        old = _under(self.dest, path)
        try:
            st = os.lstat(old)
            if (not stat.S_ISREG(st.st_mode) or st.st_size != len(data) or stat.S_IMODE(st.st_mode) != mode
                    or st.st_mtime_ns > self.written):
                return None
            if st.st_mtime_ns == self.written:
                with open(old, "rb") as fh:
                    if fh.read() != data:
                        return None
        except OSError:
            return None
        return st


def swap(tmp: str, dest: str, exists: bool) -> None:
    """Put the complete tree at tmp in dest's place; afterwards tmp holds the old tree
    (none if dest did not exist).

    Why renameat2(RENAME_EXCHANGE): it swaps two folders in one system call, so dest is
    always a complete tree, the old or the new, for a reader and after a kill; and dest
    stays a plain folder, which rsync, cp -r, scp and `virtc plan` expect. The other
    atomic way, dest as a symlink to versioned folders replaced by rename(2), would
    change what dest is, and cannot turn an existing folder into a symlink atomically.
    A missing or empty dest needs no exchange: rename(2) replaces an empty folder. Where
    the kernel or the filesystem lacks RENAME_EXCHANGE (Linux before 3.15, NFS, other
    systems) the fallback is two renames, with a moment where dest does not exist.
    """
    if not exists:
        os.rename(tmp, dest)  # tmp is gone: there is no old tree
        return
    if not os.listdir(dest):
        os.rename(tmp, dest)
        os.mkdir(tmp)  # the caller keeps it as the spare or removes it
        return
    if _exchange(tmp, dest):
        return
    aside = tmp + "_old"
    os.rename(dest, aside)
    try:
        os.rename(tmp, dest)
    except BaseException:
        os.rename(aside, dest)
        raise
    os.rename(aside, tmp)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: str, b: str) -> bool:
    """renameat2(a, b, RENAME_EXCHANGE); False when this system cannot do it."""
    import ctypes  # only a build needs it

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not Linux, or a C library without it
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)
