"""The local engine: decoding in DataLoader workers, computing in this process (one rank of
``torchrun`` each), writing and recording here."""

from __future__ import annotations

import sys
from typing import Any

import torch

from .compute import compute_decoded
from .decode import decode
from .job import Job
from .record import Recorder


class _Decoded(torch.utils.data.Dataset[tuple[int, Any]]):
    """Decodes one pending input per index (in a worker when ``--workers`` > 0)."""

    def __init__(self, job: Job) -> None:
        self.items, self.options = job.plan.pending, job.decode

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[int, Any]:
        return index, decode(self.items[index], self.options)


def run_local(job: Job, recorder: Recorder, *, workers: int, progress: bool | None) -> None:
    """Compute every planned batch of ``job`` on ``job.device``, in plan order."""
    job.feature.frontend.to(device=job.device, dtype=job.compute_dtype)
    loader = torch.utils.data.DataLoader(
        _Decoded(job),
        batch_sampler=job.plan.batches,
        num_workers=workers,
        collate_fn=list,
        prefetch_factor=2 if workers else None,  # decode the next batches while this one runs
    )
    bar = progress_bar(len(job.plan.pending), progress)
    for batch in loader:
        results = compute_decoded(
            job.feature,
            batch,
            max_samples=job.max_samples,
            device=job.device,
            dtype=job.compute_dtype,
        )
        for index, result, samples in results:
            recorder.computed(job.plan.pending[index], result, samples)
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()


def progress_bar(total: int, enabled: bool | None) -> Any:
    """A tqdm bar on stderr (None: only when stderr is a terminal), or None."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with the audio extra
        return None
    return tqdm(total=total, unit="file", file=sys.stderr)
