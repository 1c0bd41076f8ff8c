"""Stage 4 and 5, compute and check: features of a batch of decoded clips, each value checked
before anything is stored. Runs in the main process (local engine) or a Ray actor."""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Feature(Protocol):
    """What extract computes: :class:`torchspec.features.Pipeline` (frame-local, so long clips
    are cut into exact pieces and clips of any length share a batch) or a saved frontend
    (:class:`torchspec.frontend_file.SavedFrontend`, one clip at a time, never cut)."""

    frontend: nn.Module  # (batch, time) -> (batch, rows, frames)
    batchable: bool
    sample_rate: int  # Hz of the audio the frontend takes
    label: str  # the manifest's "feature"
    span: int  # samples one frame reads

    def split(self, clip: Tensor, max_samples: int) -> list[tuple[Tensor, int, int]]: ...

    def finish(self, frames: Tensor, /) -> Tensor:
        """``(..., rows, frames)`` of one whole clip -> the feature."""
        ...

    def min_samples(self) -> int: ...

    def params(self) -> dict[str, object]: ...

    def frame_times(self) -> tuple[float | None, float | None]: ...

    def rows(self) -> dict[str, object]: ...


def compute(
    feature: Feature,
    clips: list[Tensor],
    *,
    max_samples: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[Tensor]:
    """Features of ``(channels, time)`` clips, batched by total samples, long clips in pieces.

    Every clip is cut by ``feature.split`` into pieces, each with the frames to keep (a piece
    that ends at its clip's end is already padded as the frontend would pad that end); pieces
    are zero-padded into batches of at most ``max_samples`` (count x longest x channels). The
    frames kept from each piece are stitched and ``feature.finish`` runs on each whole clip.
    A feature that is not batchable runs each clip alone. Results are on the CPU in ``dtype``.
    """
    if not feature.batchable:
        with torch.no_grad():
            return [
                feature.finish(feature.frontend(clip.to(device=device, dtype=dtype)).cpu())
                for clip in clips
            ]
    pieces = []  # (clip index, segment, skip, count)
    for index, clip in enumerate(clips):
        for segment, skip, count in feature.split(clip, max(1, max_samples // clip.shape[0])):
            pieces.append((index, segment, skip, count))
    parts: list[list[tuple[int, Tensor]]] = [[] for _ in clips]
    order = sorted(range(len(pieces)), key=lambda i: pieces[i][1].shape[-1])
    batch: list[int] = []

    def flush() -> None:
        longest = max(pieces[i][1].shape[-1] for i in batch)
        stacked = torch.cat(
            [F.pad(pieces[i][1], (0, longest - pieces[i][1].shape[-1])) for i in batch]
        )
        if device.type == "cuda":  # page-locked: the copy runs while the host goes on
            stacked = stacked.pin_memory()
        with torch.no_grad():
            batch_in = stacked.to(device=device, dtype=dtype, non_blocking=True)
            out = feature.frontend(batch_in).cpu()
        row = 0
        for i in batch:
            index, segment, skip, count = pieces[i]
            rows = segment.shape[0]
            parts[index].append((i, out[row : row + rows, ..., skip : skip + count].clone()))
            row += rows

    for i in order:
        length = pieces[i][1].shape[-1]
        if batch and (len(batch) + 1) * length * pieces[i][1].shape[0] > max_samples:
            flush()
            batch = []
        batch.append(i)
    if batch:
        flush()
    results = []
    for chunks in parts:
        frames = torch.cat([c for _, c in sorted(chunks, key=lambda pair: pair[0])], dim=-1)
        with torch.no_grad():
            results.append(feature.finish(frames))
    return results


def compute_batch(
    feature: Feature,
    clips: list[Tensor],
    *,
    max_samples: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[Tensor | str]:
    """:func:`compute`, except that a clip the layer refuses (``ValueError``) becomes its
    message and the other clips of the batch are still computed."""
    if not clips:
        return []
    try:
        return list(compute(feature, clips, max_samples=max_samples, device=device, dtype=dtype))
    except ValueError:  # one clip the layer refuses: find it, keep the others
        out: list[Tensor | str] = []
        for clip in clips:
            try:
                out.append(
                    compute(feature, [clip], max_samples=max_samples, device=device, dtype=dtype)[0]
                )
            except ValueError as exc:
                out.append(str(exc))
        return out


def check_values(array: Tensor, dtype: torch.dtype) -> str | None:
    """Why ``array`` cannot be stored in ``dtype`` (non-finite, or overflowing it), or None."""
    values = torch.view_as_real(array) if array.is_complex() else array
    if not bool(torch.isfinite(values).all()):
        return "the feature has NaN or infinite values"
    limit = torch.finfo(dtype).max
    peak = float(values.abs().max()) if values.numel() else 0.0
    if peak > limit:
        return (
            f"values up to {peak:.3g} overflow {str(dtype).replace('torch.', '')} "
            f"(largest {limit:.3g}); use --dtype float32 or --db"
        )
    return None


def storable(array: Tensor, dtype: torch.dtype) -> Tensor:
    """``array`` in the stored dtype; bfloat16 (which numpy lacks) as its rounded values in
    float32."""
    if dtype == torch.bfloat16:
        return array.to(torch.bfloat16).to(torch.float32)
    return array.to(dtype)


def compute_decoded(
    feature: Feature,
    decoded: list[tuple[int, Tensor | str]],
    *,
    max_samples: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[tuple[int, Tensor | str, int]]:
    """One planned batch as the decode stage left it (per input index a waveform, or the reason
    it failed): per index, its feature (or the reason) and its length in samples."""
    good = [(index, clip) for index, clip in decoded if isinstance(clip, Tensor)]
    arrays = compute_batch(
        feature, [clip for _, clip in good], max_samples=max_samples, device=device, dtype=dtype
    )
    done: dict[int, tuple[Tensor | str, int]] = {
        index: (array, clip.shape[-1]) for (index, clip), array in zip(good, arrays, strict=True)
    }
    out: list[tuple[int, Tensor | str, int]] = []
    for index, clip in decoded:
        result, samples = done.get(index, (clip, 0))
        out.append((index, result, samples))
    return out
