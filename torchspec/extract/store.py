"""Stage 6, write: a checked array into the output folder, atomically, as ``.npy`` files or as
rows of Parquet shards. A store hands back the manifest records of the outputs that are now
durable; only then are they appended, so the manifest never names an output that a killed run
did not finish."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..outputs import SIDECAR, OutputFolder
from .discover import Item

SHARDS = "shards"
FORMATS = ("npy", "parquet")
ROW_GROUP_BYTES = 8 << 20  # a reader fetches one row group to read one row


class Store(Protocol):
    format: str

    def put(self, item: Item, array: np.ndarray, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Store ``array`` for ``item``; returns the records (``record`` completed with where
        the array is) of every output that became durable.

        Raises:
            ValueError: the output may not be written there (the record says why).
            ExtractEnvironmentError: the disk is full, read-only or over a size limit.
        """
        ...

    def close(self) -> list[dict[str, Any]]:
        """Write what is buffered; the records of those outputs."""
        ...

    def remove_stale(self, item: Item) -> str | None:
        """Delete an earlier output of ``item`` that is no longer valid; its path, or None."""
        ...


class NpyStore:
    """One ``.npy`` per input at ``OUT/<file>``, written as temporary file, fsync, rename, and
    a ``torchspec-axes.json`` per folder."""

    format = "npy"

    def __init__(self, folder: OutputFolder, sidecar: dict[str, Any]) -> None:
        self.folder, self.sidecar = folder, sidecar
        self._labelled: set[Path] = set()

    def put(self, item: Item, array: np.ndarray, record: dict[str, Any]) -> list[dict[str, Any]]:
        target = self.folder.target(item.output)
        size, mtime = self.folder.save(array, target)
        if target.parent not in self._labelled:
            write_sidecar(self.folder, target.parent, self.sidecar)
            self._labelled.add(target.parent)
        where = {"output": str(target), "output_size": size, "output_mtime_ns": mtime}
        return [{**record, **where}]

    def close(self) -> list[dict[str, Any]]:
        return []

    def remove_stale(self, item: Item) -> str | None:
        stale = self.folder.root / item.output
        if stale.is_file() and not stale.is_symlink():
            stale.unlink()
            return str(stale)
        return None


class ParquetStore:
    """Rows in Parquet shards ``OUT/shards/part-<run>-<n>.parquet`` of about ``shard_mb`` MiB.

    One row per input: ``file`` (its identity, as in the manifest), ``path`` (its path below
    its input folder), ``source``, ``sample_rate``, ``shape``, ``dtype`` and ``feature`` (the
    array flattened in C order, as a list column: ``np.asarray(feature).reshape(shape)``).
    Shards are written whole (temporary file, fsync, rename) and never rewritten: a rerun adds
    shards, and the manifest says which shard and row hold each input's current output.
    """

    format = "parquet"

    def __init__(
        self, folder: OutputFolder, sidecar: dict[str, Any], *, shard_mb: float, tag: str
    ) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "--format parquet needs pyarrow: pip install 'torchspec[parquet]'"
            ) from exc
        if not shard_mb > 0:
            raise ValueError(f"--shard-mb must be > 0, got {shard_mb}")
        self.folder, self.sidecar = folder, sidecar
        self.limit = int(shard_mb * (1 << 20))
        self.tag = tag
        self._rows: list[tuple[Item, np.ndarray, dict[str, Any]]] = []
        self._bytes = 0
        self._count = 0

    def put(self, item: Item, array: np.ndarray, record: dict[str, Any]) -> list[dict[str, Any]]:
        self._rows.append((item, array, record))
        self._bytes += array.nbytes
        return self._write() if self._bytes >= self.limit else []

    def close(self) -> list[dict[str, Any]]:
        return self._write() if self._rows else []

    def remove_stale(self, item: Item) -> str | None:
        return None  # shards are never rewritten; the manifest's newer record supersedes

    def _write(self) -> list[dict[str, Any]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows, self._rows, self._bytes = self._rows, [], 0
        name = f"part-{self.tag}-{self._count:05d}.parquet"
        self._count += 1
        target = self.folder.target(Path(SHARDS) / name)
        values = np.concatenate([array.reshape(-1) for _, array, _ in rows])
        offsets = np.cumsum([0] + [array.size for _, array, _ in rows], dtype=np.int64)
        table = pa.table(
            {
                "file": [str(item.output) for item, _, _ in rows],
                "path": [str(item.output)[: -len(".npy")] for item, _, _ in rows],
                "source": [str(item.source) for item, _, _ in rows],
                "sample_rate": pa.array([r["sample_rate"] for _, _, r in rows], pa.int32()),
                "shape": [list(array.shape) for _, array, _ in rows],
                "dtype": [str(array.dtype) for _, array, _ in rows],
                "feature": pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(values)),
            }
        )
        per_row = max(1, values.nbytes // len(rows))
        size, mtime = self.folder.write_atomically(
            target,
            lambda handle: pq.write_table(
                table, handle, row_group_size=max(1, ROW_GROUP_BYTES // per_row)
            ),
        )
        if self._count == 1:
            write_sidecar(self.folder, target.parent, self.sidecar)
        where = {"output": str(target), "output_size": size, "output_mtime_ns": mtime}
        return [{**record, **where, "row": row} for row, (_, _, record) in enumerate(rows)]


def open_store(
    output_format: str,
    folder: OutputFolder,
    sidecar: dict[str, Any],
    *,
    shard_mb: float,
    rank: int,
) -> Store:
    """The store for ``--format`` (``npy`` or ``parquet``)."""
    if output_format == "npy":
        return NpyStore(folder, sidecar)
    if output_format == "parquet":
        tag = f"{uuid.uuid4().hex[:12]}-r{rank}"
        return ParquetStore(folder, sidecar, shard_mb=shard_mb, tag=tag)
    raise ValueError(f"--format must be one of {', '.join(FORMATS)}; got {output_format!r}")


def write_sidecar(folder: OutputFolder, directory: Path, entry: dict[str, Any]) -> None:
    """``torchspec-axes.json`` in an output folder: per parameter set (``entry["params_id"]``),
    the frame times and what each row is, so axes can be labelled without recomputing."""
    path = directory / SIDECAR
    try:
        existing = json.loads(path.read_text())
        if not isinstance(existing, dict):
            existing = {}
    except (OSError, ValueError):
        existing = {}
    existing[entry["params_id"]] = {k: v for k, v in entry.items() if k != "params_id"}
    folder.write_json(path, existing)
