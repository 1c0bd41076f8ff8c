"""Filterbanks applied along frequency, and their inverse by non-negative least squares."""

import math

import torch
from torch import Tensor

from ..checks import compute_dtype
from .spectral import as_input_dtype


def apply_filterbank(specgram: Tensor, fb: Tensor) -> Tensor:
    """``fb.T @ specgram`` along the frequency axis (torchaudio's MelScale computation).

    Args:
        specgram: ``(..., n_freq, time)`` real; half precision is computed in float32.
        fb: ``(n_freq, n_filters)`` filterbank, e.g. :func:`melscale_fbanks`.

    Returns:
        ``(..., n_filters, time)`` in the dtype of ``specgram``.
    """
    dtype = compute_dtype(specgram.dtype)
    return as_input_dtype(torch.matmul(fb.to(dtype).t(), specgram.to(dtype)), specgram.dtype)


def nnls(matrix: Tensor, target: Tensor, *, pinv: Tensor, step: Tensor, n_iter: int) -> Tensor:
    """Batched non-negative least squares ``min ||matrix @ X - target|| s.t. X >= 0``.

    Accelerated projected gradient (FISTA) with a diagonal step, from the clipped
    minimum-norm solution ``relu(pinv @ target)`` (librosa's starting point for its L-BFGS-B).
    For a non-negative ``matrix`` the diagonal ``D = A^T A 1`` majorises ``A^T A``, so the step
    ``1 / D`` is safe and adapts to each unknown's scale: 5x fewer iterations than the scalar
    step ``1 / ||A||_2^2`` for the same residual on mel filterbanks.

    Args:
        matrix: ``(m, n)``, non-negative.
        target: ``(..., m, k)``: every column is a separate problem.
        pinv: ``(n, m)`` pseudo-inverse of ``matrix``.
        step: ``(n, 1)`` per-unknown step, ``1 / (A^T A 1)`` (:func:`filterbank_pinv`).
        n_iter: iterations, >= 0.

    Returns:
        ``(..., n, k)`` non-negative.
    """
    x = torch.relu(torch.matmul(pinv, target))
    y, t = x, 1.0
    for _ in range(n_iter):
        gradient = torch.matmul(matrix.t(), torch.matmul(matrix, y) - target)
        x_next = torch.relu(y - gradient * step)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        y = x_next + ((t - 1) / t_next) * (x_next - x)
        x, t = x_next, t_next
    return x


COVERED = 1e-10  # a bin whose filter weight is below this fraction of the largest is uncovered


def filterbank_pinv(fb: Tensor) -> tuple[Tensor, Tensor]:
    """What :func:`inverse_filterbank` needs of ``(n_freq, n_filters)`` ``fb``, in float64: the
    pseudo-inverse ``(n_freq, n_filters)`` of ``fb.T`` and the diagonal step ``(n_freq, 1)``
    ``1 / (fb fb^T 1)``.

    A bin that no filter covers, or covers with a weight below ``COVERED`` times the largest
    (a triangle's tail rounding to 1e-15), is not constrained by the filtered values: its
    step and its pseudo-inverse row are 0, so it stays 0 (the minimum-norm answer) instead of
    growing by ``1 / weight`` each iteration."""
    matrix = fb.to(torch.float64).t()
    ones = torch.ones(matrix.shape[1], 1, dtype=torch.float64)
    diagonal = matrix.t() @ (matrix @ ones)
    covered = diagonal > COVERED * diagonal.max().clamp_min(1e-300)
    step = torch.where(covered, 1.0 / diagonal.clamp_min(1e-300), torch.zeros_like(diagonal))
    pinv = torch.linalg.pinv(matrix * covered.t()) * covered
    return pinv, step


def inverse_filterbank(
    filtered: Tensor, fb: Tensor, *, pinv: Tensor, step: Tensor, n_iter: int
) -> Tensor:
    """Linear spectrogram from a filterbank output: ``min ||fb.T @ X - filtered||`` over
    ``X >= 0`` for every frame (librosa.feature.inverse.mel_to_stft without its power root).

    Args:
        filtered: ``(..., n_filters, time)`` non-negative.
        fb: ``(n_freq, n_filters)``; ``pinv`` and ``step`` from :func:`filterbank_pinv`.
        n_iter: accelerated projected-gradient iterations.

    Returns:
        ``(..., n_freq, time)`` non-negative, dtype of ``filtered``.
    """
    dtype = compute_dtype(filtered.dtype)
    out = nnls(
        fb.to(dtype).t(),
        filtered.to(dtype),
        pinv=pinv.to(dtype),
        step=step.to(dtype),
        n_iter=n_iter,
    )
    return as_input_dtype(out, filtered.dtype)  # float16 overflow warns, as every layer
