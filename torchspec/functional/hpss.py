"""Harmonic/percussive separation by median filtering (librosa's ``decompose.hpss``,
Fitzgerald 2010): harmonic energy is smooth along time, percussive energy along frequency."""

import math

import torch
from torch import Tensor

from .padding import pad_symmetric


def median_filter(x: Tensor, size: int, dim: int) -> Tensor:
    """``scipy.ndimage.median_filter`` of ``size`` samples along ``dim``, mode ``"reflect"``
    (the edge sample repeated: ``c b a | a b c``), window ``[i - size // 2, i - size // 2 +
    size)``; for an even ``size`` the upper of the two middle values (scipy's rank
    ``size // 2``). Differentiable: the gradient goes to the selected sample."""
    if size == 1:
        return x
    padded = pad_symmetric(x, size // 2, size - 1 - size // 2, dim)
    windows = padded.unfold(dim, size, 1)  # (..., n, ..., size)
    return windows.kthvalue(size // 2 + 1, dim=-1).values


def _smallest_normal(dtype: torch.dtype) -> float:
    """``torch.finfo(dtype).tiny`` (which TorchScript cannot call)."""
    if dtype == torch.float64:
        return 2.2250738585072014e-308
    if dtype == torch.float16:
        return 6.103515625e-05
    return 1.1754943508222875e-38  # float32, bfloat16


def softmask(x: Tensor, reference: Tensor, power: float = 1.0, split_zeros: bool = False) -> Tensor:
    """librosa's ``util.softmask``: ``x**p / (x**p + reference**p)`` computed relative to
    ``max(x, reference)``; where both are below the smallest normal number, 0.5 with
    ``split_zeros`` else 0. ``power=inf`` gives the hard mask ``x > reference`` (as 0/1 in
    ``x``'s dtype).

    Args:
        x, reference: non-negative, the same shape.
        power: > 0, or ``math.inf``.
    """
    if power == math.inf:  # not math.isinf: torch.compile makes the number symbolic
        return (x > reference).to(x.dtype)
    z = torch.maximum(x, reference)
    tiny = z < _smallest_normal(z.dtype)
    z = torch.where(tiny, 1.0, z)
    mask = (x / z) ** power
    other = (reference / z) ** power
    total = torch.where(tiny, 1.0, mask + other)
    return torch.where(tiny, 0.5 if split_zeros else 0.0, mask / total)


def hpss(
    S: Tensor,
    kernel_size: int | tuple[int, int] = 31,
    power: float = 2.0,
    mask: bool = False,
    margin: float | tuple[float, float] = 1.0,
) -> tuple[Tensor, Tensor]:
    """librosa's ``decompose.hpss``: median filters of ``|S|`` along time (``kernel_size``
    frames: the harmonic estimate) and along frequency (the percussive one), turned into soft
    masks (``power``; inf: hard masks), each against the other scaled by its ``margin``
    (> 1 leaves a residual that is neither), applied to ``S`` (its phase kept).

    Args:
        S: ``(..., freq, frames)`` magnitude, power or complex spectrogram.
        kernel_size: median length, or ``(harmonic frames, percussive bins)``.
        power: mask exponent, > 0 or ``math.inf``.
        mask: return the masks instead of the separated spectrograms.
        margin: ``>= 1``, or ``(harmonic, percussive)``.

    Returns:
        ``(harmonic, percussive)``, each shaped like ``S`` (the masks: real).
    """
    win_harm, win_perc = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    margin_harm, margin_perc = (margin, margin) if isinstance(margin, (int, float)) else margin
    return harmonic_percussive(
        S, win_harm, win_perc, power, mask, float(margin_harm), float(margin_perc)
    )


def harmonic_percussive(
    S: Tensor,
    win_harm: int,
    win_perc: int,
    power: float,
    mask: bool,
    margin_harm: float,
    margin_perc: float,
) -> tuple[Tensor, Tensor]:
    """:func:`hpss` with each pair of arguments spelled out (the form layers call)."""
    magnitude = S.abs() if S.is_complex() else S
    harmonic = median_filter(magnitude, win_harm, -1)
    percussive = median_filter(magnitude, win_perc, -2)
    split = margin_harm == 1 and margin_perc == 1
    mask_harm = softmask(harmonic, percussive * margin_harm, power, split)
    mask_perc = softmask(percussive, harmonic * margin_perc, power, split)
    if mask:
        return mask_harm, mask_perc
    return S * mask_harm, S * mask_perc
