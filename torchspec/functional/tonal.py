"""Pitch-class features of a constant-Q spectrogram: chroma folded from CQT or VQT bins
(librosa's ``filters.cq_to_chroma``, ``feature.chroma_cqt``, ``feature.chroma_vqt``), its
quantised and smoothed form (``chroma_cens``) and the tonal centroid (``tonnetz``)."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from .cqt import C1_HZ
from .descriptors import normalize
from .filterbanks import LIBROSA_WINDOWS

CENS_STEPS = (0.4, 0.2, 0.1, 0.05)  # each step a chroma value exceeds adds a quarter


def cq_to_chroma(
    n_input: int,
    bins_per_octave: int = 12,
    n_chroma: int = 12,
    fmin: float | None = None,
    base_c: bool = True,
) -> Tensor:
    """librosa's ``filters.cq_to_chroma``: the 0/1 matrix that sums the constant-Q bins of each
    pitch class, the ``bins_per_octave // n_chroma`` bins around it in every octave.

    Args:
        n_input: number of constant-Q bins. bins_per_octave: a multiple of ``n_chroma``.
        fmin: the first bin's frequency in Hz before tuning (None: C1, librosa's default).
        base_c: first row C (True) or A.

    Returns:
        ``(n_chroma, n_input)`` float64.

    Raises:
        ValueError: when ``bins_per_octave`` is not a multiple of ``n_chroma``.
    """
    if bins_per_octave % n_chroma:
        raise ValueError(
            f"bins_per_octave={bins_per_octave} must be a multiple of n_chroma={n_chroma}"
        )
    merge = bins_per_octave // n_chroma
    octave = torch.eye(n_chroma, dtype=torch.float64).repeat_interleave(merge, dim=1)
    octave = torch.roll(octave, -(merge // 2), dims=1)
    octaves = math.ceil(n_input / bins_per_octave)
    bank = octave.repeat(1, octaves)[:, :n_input]
    midi = 12 * math.log2((C1_HZ if fmin is None else fmin) / 440.0) + 69
    offset = midi % 12 if base_c else midi % 12 - 9
    return torch.roll(bank, round(offset * n_chroma / 12), dims=0)  # numpy's half-to-even


def chroma_cqt(
    C: Tensor,
    bins_per_octave: int = 36,
    n_chroma: int = 12,
    fmin: float | None = None,
    norm: float | None = math.inf,
    threshold: float | None = 0.0,
) -> Tensor:
    """librosa's ``feature.chroma_cqt(C=...)``: constant-Q magnitudes summed per pitch class
    (:func:`cq_to_chroma`), values below ``threshold`` set to 0, each frame normalised by its
    ``norm`` (max for inf; None: raw).

    Args:
        C: ``(..., n_bins, frames)`` constant-Q magnitudes, the first bin at ``fmin``.

    Returns:
        ``(..., n_chroma, frames)`` in ``C``'s dtype; differentiable.
    """
    bank = cq_to_chroma(C.shape[-2], bins_per_octave, n_chroma, fmin)
    chroma = torch.matmul(bank.to(device=C.device, dtype=C.dtype), C)
    if threshold is not None:
        chroma = torch.where(chroma < threshold, 0.0, chroma)
    return normalize(chroma, norm)


def chroma_vqt(
    V: Tensor,
    bins_per_octave: int = 12,
    fmin: float | None = None,
    norm: float | None = math.inf,
    threshold: float | None = 0.0,
) -> Tensor:
    """librosa's ``feature.chroma_vqt(V=...)``: :func:`chroma_cqt` with one chroma row per bin
    of the octave (``n_chroma = bins_per_octave``, e.g. the ratios of a just-intonation VQT).

    Args:
        V: ``(..., n_bins, frames)`` variable-Q magnitudes.

    Returns:
        ``(..., bins_per_octave, frames)``.
    """
    return chroma_cqt(V, bins_per_octave, bins_per_octave, fmin, norm, threshold)


def smoothing_kernel(name: str, length: int) -> Tensor:
    """``scipy.signal.get_window(name, length, fftbins=False)`` normalised to sum 1, float64:
    the symmetric window that ``chroma_cens`` smooths with (``"hann"``, ``"hamming"`` or
    ``"blackman"``)."""
    if name not in LIBROSA_WINDOWS:
        raise ValueError(f"smoothing_window must be one of {sorted(LIBROSA_WINDOWS)}, got {name!r}")
    window = LIBROSA_WINDOWS[name](length, periodic=False, dtype=torch.float64)
    return window / window.sum()


def chroma_cens(
    C: Tensor,
    bins_per_octave: int = 36,
    n_chroma: int = 12,
    fmin: float | None = None,
    norm: float | None = 2.0,
    win_len_smooth: int | None = 41,
    smoothing_window: str = "hann",
) -> Tensor:
    """librosa's ``feature.chroma_cens(C=...)`` (Chroma Energy Normalized Statistics): the
    chroma of :func:`chroma_cqt` normalised to sum 1 per frame, quantised (a quarter for each
    of 0.4, 0.2, 0.1, 0.05 it exceeds), smoothed over time by a ``win_len_smooth + 2``
    symmetric window normalised to sum 1 (zeros beyond the ends; None: no smoothing), then
    normalised per frame by ``norm``.

    Args:
        C: ``(..., n_bins, frames)`` constant-Q magnitudes.

    Returns:
        ``(..., n_chroma, frames)``. Not differentiable (a quantisation).
    """
    chroma = normalize(chroma_cqt(C, bins_per_octave, n_chroma, fmin, None, 0.0), 1.0)
    quantised = torch.zeros_like(chroma)
    for step in CENS_STEPS:
        quantised = quantised + 0.25 * (chroma > step).to(chroma.dtype)
    quantised = torch.where(chroma.isnan(), chroma, quantised)  # NaN is not below every step
    if win_len_smooth:
        kernel = smoothing_kernel(smoothing_window, win_len_smooth + 2)
        quantised = smooth_frames(quantised, kernel.to(device=C.device, dtype=C.dtype))
    return normalize(quantised, norm)


def smooth_frames(x: Tensor, kernel: Tensor) -> Tensor:
    """``scipy.ndimage.convolve(x, kernel, mode="constant")`` along the last axis: the
    kernel centred on each frame (at ``len // 2`` of the flipped kernel), zeros beyond the
    ends.

    Args:
        x: ``(..., frames)``. kernel: ``(length,)``.

    Returns:
        ``(..., frames)``.
    """
    length = kernel.shape[-1]
    flat = x.reshape(-1, 1, x.shape[-1])
    # convolution flips the kernel: correlate with the reversed one, centred at length // 2
    left = (length - 1) // 2 if length % 2 else length // 2 - 1
    flat = F.pad(flat, (left, length - 1 - left))
    out = F.conv1d(flat, kernel.flip(-1).reshape(1, 1, length))
    return out.reshape(x.shape)


def tonnetz_basis(n_chroma: int = 12) -> Tensor:
    """librosa's tonal centroid projection (Harte et al. 2006): rows (sin, cos) of the circle
    of fifths, of minor thirds and of major thirds (radius 1, 1, 0.5) over ``n_chroma``
    pitch classes spread over 12 semitones.

    Returns:
        ``(6, n_chroma)`` float64.
    """
    semitones = torch.arange(n_chroma, dtype=torch.float64) * (12.0 / n_chroma)
    scale = torch.tensor([7 / 6, 7 / 6, 3 / 2, 3 / 2, 2 / 3, 2 / 3], dtype=torch.float64)
    angle = scale[:, None] * semitones
    angle[::2] -= 0.5  # the even rows are sines
    radius = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.5, 0.5], dtype=torch.float64)
    return radius[:, None] * torch.cos(math.pi * angle)


def tonnetz(chroma: Tensor) -> Tensor:
    """librosa's ``feature.tonnetz(chroma=...)``: each frame of the chroma normalised to sum 1
    and projected on :func:`tonnetz_basis`.

    Args:
        chroma: ``(..., n_chroma, frames)`` non-negative.

    Returns:
        ``(..., 6, frames)``: fifth (x, y), minor third (x, y), major third (x, y).
    """
    basis = tonnetz_basis(chroma.shape[-2]).to(device=chroma.device, dtype=chroma.dtype)
    return torch.matmul(basis, normalize(chroma, 1.0))
