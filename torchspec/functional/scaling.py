"""Decibels as functions, per item so no result depends on the rest of the batch."""

import math

import torch
from torch import Tensor

from ..checks import compute_dtype


def amplitude_to_db(
    x: Tensor,
    multiplier: float = 10.0,  # not keyword-only: TorchScript refuses those with defaults
    ref: float | str = 1.0,
    amin: float = 1e-10,
    top_db: float | None = None,
) -> Tensor:
    """``multiplier * log10(max(x, amin) / ref)``, floored at ``top_db`` below each item's peak.

    An item is one ``(freq, time)`` spectrogram: the last two dims. ``ref="max"`` uses each
    item's own maximum (``librosa.power_to_db(S, ref=np.max)`` per spectrogram).

    Args:
        x: ``(..., freq, time)`` non-negative power (``multiplier=10``) or magnitude (``20``).
            Without ``ref="max"`` and ``top_db`` any shape works, elementwise.

    Returns:
        Tensor of the shape and dtype of ``x``, in dB.
    """
    if isinstance(ref, str):  # each branch returns: TorchScript's saved code keeps the types
        if ref != "max":
            raise ValueError("ref must be a number > 0 or 'max'")
        return db_scale(x, multiplier, 1.0, True, amin, top_db)
    return db_scale(x, multiplier, ref, False, amin, top_db)


def db_scale(
    x: Tensor,
    multiplier: float,
    ref: float,
    ref_max: bool,
    amin: float = 1e-10,
    top_db: float | None = None,
) -> Tensor:
    """:func:`amplitude_to_db` with the reference as a number, or each item's peak when
    ``ref_max`` (``ref`` is then ignored)."""
    if (ref_max or top_db is not None) and x.dim() < 2:
        raise ValueError(
            f"ref='max' and top_db work per (freq, time) spectrogram; got shape {list(x.shape)}"
        )
    dtype = x.dtype
    x = x.to(compute_dtype(dtype))  # amin = 1e-10 underflows to 0 in float16
    db = multiplier * torch.log10(torch.clamp(x, min=amin))
    if ref_max:
        peak = torch.clamp(x.amax(dim=(-2, -1), keepdim=True), min=amin)
        db = db - multiplier * torch.log10(peak)
    else:
        db = db - multiplier * math.log10(max(amin, ref))
    if top_db is not None:
        floor = db.amax(dim=(-2, -1), keepdim=True) - top_db
        db = torch.maximum(db, floor)
    return db.to(dtype)


def amplitude_to_DB(  # noqa: N802 - torchaudio.functional's name
    x: Tensor,
    multiplier: float,
    amin: float,
    db_multiplier: float,
    top_db: float | None = None,
) -> Tensor:
    """torchaudio.functional.amplitude_to_DB's signature: ``multiplier * log10(max(x, amin))
    - multiplier * db_multiplier``, floored ``top_db`` below each ``(freq, time)`` item's peak
    (torchaudio floors over the whole tensor for 2-D and 3-D input).

    Returns:
        Tensor of the shape and dtype of ``x``, in dB.
    """
    return amplitude_to_db(
        x, multiplier=multiplier, ref=10.0**db_multiplier, amin=amin, top_db=top_db
    )


def DB_to_amplitude(x: Tensor, ref: float, power: float) -> Tensor:  # noqa: N802 - torchaudio's
    """Inverse of :func:`amplitude_to_DB`: ``ref * 10 ** (x / 10) ** power``
    (torchaudio.functional.DB_to_amplitude; ``power`` 1 for power, 0.5 for magnitude)."""
    return ref * torch.pow(torch.pow(10.0, 0.1 * x), power)
