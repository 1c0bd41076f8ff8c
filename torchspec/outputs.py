"""An output folder of ``torchspec extract``: one run at a time, safe names, atomic files, and
an append-only manifest that says which arrays are valid for which parameters.

Nothing here trusts a file name: names are data (never glob patterns), too-long names are
shortened with a stable hash, and every write is checked to land inside the folder's real path.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

MANIFEST = "manifest.jsonl"
LOCK = ".torchspec-extract.lock"
SIDECAR = "torchspec-axes.json"
NAME_BYTES = 200  # longest output name kept as is (file systems allow 255; ".tmp" names add more)
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
}


class ExtractEnvironmentError(Exception):
    """The machine, not the data, stops the run (read-only or full disk, a busy folder, no
    CUDA): the command prints the message on one line and exits with status 2."""


def safe_name(name: str) -> str:
    """``name + ".npy"``, or for a name too long for the file system its first bytes, ``~``,
    a 12-digit hash of the whole name, and ``.npy`` (stable across runs)."""
    full = name + ".npy"
    if len(full.encode()) <= NAME_BYTES:
        return full
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    head = name.encode("utf-8", "surrogateescape")[: NAME_BYTES - 20].decode("utf-8", "ignore")
    return f"{head}~{digest}.npy"


class OutputFolder:
    """The ``--out`` folder, held for one run.

    Args:
        path: the folder; created if missing.
        wait: wait for another run holding the folder instead of failing.

    Raises:
        ExtractEnvironmentError: ``path`` is a file, cannot be created or written, or another run
            holds it (and ``wait`` is False).
    """

    def __init__(self, path: str | Path, *, wait: bool = False, lock: bool = True) -> None:
        given = Path(path)
        if given.exists() and not given.is_dir():
            raise ExtractEnvironmentError(f"--out {given} is a file, not a folder: choose a folder")
        try:
            given.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExtractEnvironmentError(f"cannot create --out {given}: {exc.strerror}") from exc
        self.root = given.resolve()
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise ExtractEnvironmentError(
                f"--out {self.root} is not writable: choose another folder"
            )
        self._lock: IO[str] | None = None
        if lock:
            self._acquire(wait)

    def _acquire(self, wait: bool) -> None:
        try:
            handle = open(self.root / LOCK, "a+")  # noqa: SIM115 - held for the whole run
        except OSError as exc:
            raise ExtractEnvironmentError(
                f"--out {self.root} is not writable: {exc.strerror}"
            ) from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise ExtractEnvironmentError(
                f"another torchspec extract (pid {holder}) is writing into {self.root}; "
                "wait for it to finish or pass --wait"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    def release(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def target(self, relative: Path) -> Path:
        """The absolute output path of a relative one, its folder created and checked to be
        inside the output folder's real path (a symlinked folder may not lead out of it).

        Raises:
            ValueError: the path would leave the output folder.
        """
        path = self.root / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError as exc:
            raise ValueError(f"{path.parent} exists and is not a folder") from exc
        except OSError as exc:
            raise environment(exc, path.parent) from exc
        real = path.parent.resolve()
        if real != self.root and self.root not in real.parents:
            raise ValueError(
                f"refusing to write {path}: its folder resolves to {real}, outside {self.root}"
            )
        return real / path.name

    def save(self, array: np.ndarray, path: Path) -> tuple[int, int]:
        """Write ``array`` as ``.npy`` atomically (:meth:`write_atomically`). Returns the
        file's ``(size, mtime_ns)``."""
        return self.write_atomically(path, lambda handle: np.save(handle, array))

    def write_atomically(self, path: Path, write: Callable[[IO[bytes]], object]) -> tuple[int, int]:
        """Let ``write`` fill a temporary file in ``path``'s folder, fsync it, rename it to
        ``path`` and fsync the folder: ``path`` is whole or absent, whenever the run stops.
        Returns the file's ``(size, mtime_ns)``.

        Raises:
            ExtractEnvironmentError: the disk is full, read-only or over a size limit.
        """
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
            fsync_folder(path.parent)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise environment(exc, path) from exc
        stat = path.stat()
        return stat.st_size, stat.st_mtime_ns

    def remove_temporaries(self, path: Path) -> None:
        """Delete what a killed run left while writing ``path`` (names compared as strings)."""
        prefix = f".{path.name}."
        try:
            entries = list(os.scandir(path.parent))
        except FileNotFoundError:
            return
        for entry in entries:
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                Path(entry.path).unlink(missing_ok=True)

    def write_json(self, path: Path, data: dict[str, Any]) -> None:
        """Write a JSON file atomically."""
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise environment(exc, path) from exc

    def records(self) -> Iterator[dict[str, Any]]:
        """Every manifest record, oldest first (:func:`read_records`)."""
        return read_records(self.root / MANIFEST)

    def open_manifest(self, name: str = MANIFEST) -> Manifest:
        return Manifest(self.root / name)


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every record of the manifest at ``path``, oldest first (none if it does not exist); a
    line cut short by a killed run is skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="surrogateescape") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "source" in record:
                yield record


class Manifest:
    """Append-only JSON lines, each flushed and fsynced before the run goes on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._file = path.open("a", encoding="utf-8", errors="surrogateescape")
        except OSError as exc:
            raise environment(exc, path) from exc

    def append(self, record: dict[str, Any]) -> None:
        try:
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise environment(exc, self.path) from exc

    def close(self) -> None:
        self._file.close()


def environment(exc: OSError, path: Path) -> Exception:
    """An ``OSError`` while writing ``path``: an :class:`ExtractEnvironmentError` for a full,
    read-only or limited disk, else the error itself. (numpy reports a short write without an
    errno: a nearly full disk then counts as full.)"""
    full = exc.errno is None and shutil.disk_usage(path.parent).free < 1 << 20
    if full or exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExtractEnvironmentError(
            f"no space left on the device writing {path}: free space and run again "
            "(finished outputs are kept and skipped)"
        )
    if exc.errno == errno.EFBIG:
        return ExtractEnvironmentError(f"file size limit reached writing {path}: raise the limit")
    if exc.errno in ENVIRONMENT_ERRNOS:
        return ExtractEnvironmentError(f"cannot write {path}: {exc.strerror}")
    return exc


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
