"""Training from ``torchspec extract`` output: a map-style Dataset over its manifest, reading
``.npy`` files memory-mapped and Parquet rows one row group at a time, and a collate function
that pads a batch of clips of different lengths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .outputs import MANIFEST, read_records


def read_manifest(root: str | Path, *, params_id: str | None = None) -> list[dict[str, Any]]:
    """The current outputs of an extract folder: the newest record of each input, if it
    succeeded (``status`` ``"ok"`` or ``"skipped"``: up to date), in the order of the inputs'
    paths. Outputs superseded by a rerun with other parameters, or by a failure, are left out.

    Args:
        root: the ``--out`` folder of ``torchspec extract``.
        params_id: which parameter set to return when the current outputs hold several (a
            partial rerun with other parameters); None requires one.

    Returns:
        The manifest records (``source``, ``output``, ``params``, ``shape``, ...).

    Raises:
        FileNotFoundError: ``root`` has no manifest.
        ValueError: several parameter sets and no ``params_id``, or none matches it.
    """
    root = Path(root)
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(f"{root} has no {MANIFEST}: is it a torchspec extract --out?")
    latest = {record["source"]: record for record in read_records(manifest)}
    current = [r for _, r in sorted(latest.items()) if r.get("status") in ("ok", "skipped")]
    found = sorted({str(r.get("params_id")) for r in current})
    if params_id is None and len(found) > 1:
        raise ValueError(
            f"{root} holds outputs of {len(found)} parameter sets ({', '.join(found)}): "
            "pass params_id= to choose one"
        )
    if params_id is not None:
        current = [r for r in current if r.get("params_id") == params_id]
        if not current:
            raise ValueError(
                f"{root} has no current output with params_id {params_id!r} "
                f"(it has {', '.join(found) or 'none'})"
            )
    return current


class FeatureDataset(torch.utils.data.Dataset[tuple[Tensor, dict[str, Any]]]):
    """The current outputs of an extract folder: item ``i`` is ``(feature, record)``.

    ``feature`` is the stored array as a tensor, ``(channels, rows, frames)``; ``record`` is
    the manifest record that says what it is (``source``, ``params``, ``shape``, ...). Only the
    newest record of each source counts, so outputs superseded by a rerun with other
    parameters, or by a failure, are never returned. Items are in the order of their sources'
    paths. Works with ``DataLoader(num_workers > 0)``: files are opened lazily in each worker.

    Args:
        root: the ``--out`` folder of ``torchspec extract`` (npy or parquet format).
        params_id: which parameter set to read when the folder's current outputs hold
            several (after a partial rerun with other parameters); None requires one.

    Raises:
        FileNotFoundError: ``root`` has no manifest.
        ValueError: the current outputs hold several parameter sets and ``params_id`` is
            None, or ``params_id`` matches none.
    """

    def __init__(self, root: str | Path, *, params_id: str | None = None) -> None:
        self.root = Path(root)
        manifest = self.root / MANIFEST
        if not manifest.is_file():
            raise FileNotFoundError(
                f"{self.root} has no {MANIFEST}: is it a torchspec extract --out?"
            )
        self.records = read_manifest(self.root, params_id=params_id)
        self._files: dict[str, Any] = {}  # parquet files opened in this process

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> tuple[Tensor, dict[str, Any]]:
        record = self.records[index]
        if record.get("format", "npy") == "parquet":
            array = self._parquet_row(record)
        else:
            array = np.load(record["output"], mmap_mode="r")
        if list(array.shape) != list(record["shape"]):
            raise ValueError(
                f"{record['output']} holds shape {list(array.shape)}, the manifest says "
                f"{record['shape']}: the folder was changed after extract wrote it"
            )
        return torch.from_numpy(np.array(array)), record

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_files": {}}  # each worker opens its own files

    def _parquet_row(self, record: dict[str, Any]) -> np.ndarray:
        import pyarrow.parquet as pq

        path, row = record["output"], int(record["row"])
        shard = self._files.get(path)
        if shard is None:
            shard = self._files[path] = pq.ParquetFile(path)
        group = 0
        while row >= shard.metadata.row_group(group).num_rows:
            row -= shard.metadata.row_group(group).num_rows
            group += 1
        table = shard.read_row_group(group, columns=["file", "shape", "feature"])
        if table.column("file")[row].as_py() != record["file"]:
            raise ValueError(f"{path} row {record['row']} is not {record['file']}")
        values: np.ndarray = table.column("feature")[row].values.to_numpy(zero_copy_only=False)
        shape: list[int] = table.column("shape")[row].as_py()
        return values.reshape(shape)


def pad_collate(
    batch: list[tuple[Tensor, dict[str, Any]]], *, pad_value: float = 0.0
) -> tuple[Tensor, Tensor, list[dict[str, Any]]]:
    """Stack ``(feature, record)`` items of different lengths for a ``DataLoader``.

    Returns:
        ``features``: ``(batch, channels, rows, longest)``, each item padded at the end of its
        frame axis with ``pad_value``; ``lengths``: ``(batch,)`` int64 frame counts;
        ``records``: the items' manifest records.

    Raises:
        ValueError: the items differ in anything but their number of frames.

    Example:
        >>> loader = DataLoader(FeatureDataset("features/"), batch_size=16,
        ...                     collate_fn=pad_collate, num_workers=2)
    """
    if not batch:
        raise ValueError("pad_collate got an empty batch")
    features = [feature for feature, _ in batch]
    lead = {tuple(f.shape[:-1]) for f in features}
    if len(lead) > 1:
        raise ValueError(
            f"cannot batch features of shapes {sorted(lead)} (before the frame axis): "
            "extract them with --mono or --channels so every clip has the same channels"
        )
    lengths = torch.tensor([f.shape[-1] for f in features], dtype=torch.int64)
    longest = int(lengths.max()) if len(features) else 0
    out = features[0].new_full((len(features), *features[0].shape[:-1], longest), pad_value)
    for i, feature in enumerate(features):
        out[i, ..., : feature.shape[-1]] = feature
    return out, lengths, [record for _, record in batch]
