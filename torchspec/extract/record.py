"""Stage 7, record: every input's outcome as one manifest record, appended only once its
output is durable. The same records come from both engines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from ..outputs import Manifest, now
from .compute import check_values, storable
from .discover import Item
from .store import Store

KEPT_ON_SKIP = (
    "file",
    "output",
    "row",
    "format",
    "shape",
    "stored_as",
    "duration",
    "sample_rate",
    "source_size",
    "source_mtime_ns",
    "output_size",
    "output_mtime_ns",
)


@dataclass
class Summary:
    """Counts of one run (this rank's, merged over ranks under torchrun)."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    audio_seconds: float = 0.0
    elapsed: float = 0.0
    failures: list[str] = field(default_factory=list)


class Recorder:
    """Checks, stores and records the outcome of every input of one run.

    Args:
        manifest: where records are appended.
        store: where arrays go.
        common: the fields every record of the run carries (run id, parameters, dtype...).
        dtype: the stored dtype.
        sample_rate: the audio's rate after decoding (Hz).
    """

    def __init__(
        self,
        manifest: Manifest,
        store: Store,
        common: dict[str, Any],
        *,
        dtype: torch.dtype,
        sample_rate: int,
    ) -> None:
        self.manifest, self.store, self.common = manifest, store, common
        self.dtype, self.sample_rate = dtype, sample_rate
        self.summary = Summary()
        self._seconds: dict[str, float] = {}

    def skipped(self, item: Item, old: dict[str, Any]) -> None:
        """``item``'s output from an earlier run stays valid."""
        self.summary.skipped += 1
        kept = {key: old.get(key) for key in KEPT_ON_SKIP if key in old}
        self.manifest.append(
            {
                **self.common,
                "time": now(),
                "source": str(item.source),
                "status": "skipped",
                "ok_run": old.get("ok_run", old["run"]),
                **kept,
                "format": old.get("format", "npy"),
            }
        )

    def failed(self, item: Item, reason: str) -> None:
        """``item`` cannot be computed; an output left from an earlier run is removed (npy)."""
        if not reason.startswith(str(item.source)):
            reason = f"{item.source}: {reason}"
        self.summary.failed += 1
        self.summary.failures.append(reason)
        removed = self.store.remove_stale(item)
        self.manifest.append(
            {
                **self.common,
                "time": now(),
                "source": str(item.source),
                "file": str(item.output),
                "status": "failed",
                "reason": reason,
                "output": None,
                "removed_output": removed,
            }
        )

    def computed(self, item: Item, result: Tensor | str, samples: int) -> None:
        """The feature of ``item`` (or why it failed) from ``samples`` samples of audio."""
        if isinstance(result, str):
            self.failed(item, result)
            return
        problem = check_values(result, self.dtype)
        if problem:
            self.failed(item, problem)
            return
        stored = storable(result, self.dtype).numpy()
        seconds = samples / self.sample_rate
        stat = item.source.stat()
        record = {
            **self.common,
            "time": now(),
            "source": str(item.source),
            "status": "ok",
            "ok_run": self.common["run"],
            "format": self.store.format,
            "shape": list(stored.shape),
            "file": str(item.output),
            "stored_as": str(stored.dtype),
            "duration": seconds,
            "sample_rate": self.sample_rate,
            "source_size": stat.st_size,
            "source_mtime_ns": stat.st_mtime_ns,
        }
        try:
            durable = self.store.put(item, stored, record)
        except ValueError as exc:
            self.failed(item, str(exc))
            return
        self._seconds[str(item.source)] = seconds
        self._append(durable)

    def close(self) -> Summary:
        """Store what is buffered, append its records and close the manifest."""
        self._append(self.store.close())
        self.manifest.close()
        return self.summary

    def _append(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.manifest.append(record)
            self.summary.done += 1
            self.summary.audio_seconds += self._seconds.pop(record["source"], 0.0)
