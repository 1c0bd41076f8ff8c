"""Onset strength: how much a (dB) spectrogram rises from frame to frame (librosa's spectral
flux onset envelope)."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from .descriptors import normalize
from .emphasis import deemphasis
from .pcen import max_filter

AGGREGATES = ("mean", "median", "max")


def channel_bounds(channels: list[int] | None, rows: int) -> list[tuple[int, int]]:
    """librosa's channels of ``onset_strength_multi``: the row ranges between consecutive
    distinct boundaries (sorted; those above ``rows`` dropped), or all rows for None.

    Raises:
        ValueError: for a negative boundary, or fewer than two distinct ones within
            ``[0, rows]``.
    """
    if channels is None:
        return [(0, rows)]
    edges: list[int] = []
    for edge in sorted(channels):
        if edge < 0:
            raise ValueError(f"channels must be row indices >= 0, got {channels}")
        if edge <= rows and (len(edges) == 0 or edges[-1] != edge):
            edges.append(edge)
    if len(edges) < 2:
        raise ValueError(
            f"channels needs at least two distinct boundaries within [0, {rows}] (the rows "
            f"of the spectrogram), got {channels}"
        )
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def onset_strength_multi(
    S: Tensor,
    lag: int = 1,
    max_size: int = 1,
    detrend: bool = False,
    center: bool = True,
    n_fft: int = 2048,
    hop_length: int = 512,
    aggregate: str = "mean",
    channels: list[int] | None = None,
) -> Tensor:
    """librosa's ``onset.onset_strength_multi(S=...)``: the positive rise of each row of ``S``
    over ``lag`` frames (against the maximum over ``max_size`` neighbouring rows, a vibrato
    suppression), aggregated over the rows of each channel, shifted to line up with the
    frames.

    ``env[c, t] = aggregate_{f in channel c} max(0, S[f, t] - ref[f, t - lag])`` with ``ref``
    ``S`` filtered by a running maximum of ``max_size`` rows (scipy's ``maximum_filter1d``,
    mode ``"reflect"``); then ``lag`` zeros in front (plus ``n_fft // (2 * hop_length)`` for
    a centred STFT, cut back to the input's frames), and with ``detrend`` the filter
    ``y[n] = x[n] - x[n - 1] + 0.99 y[n - 1]``.

    Args:
        S: ``(..., rows, frames)``, usually a mel spectrogram in dB.
        lag: frames between the compared frames, >= 1.
        max_size: rows of the running maximum, >= 1 (1: ``S`` itself).
        detrend: remove the envelope's DC component.
        center: the STFT was centred: shift by ``n_fft // (2 * hop_length)`` frames.
        n_fft, hop_length: the STFT's, for that shift.
        aggregate: ``"mean"`` (librosa's default, ``np.mean``), ``"median"`` (``np.median``:
            the mean of the two middle values for an even count) or ``"max"``.
        channels: row boundaries of the channels (librosa's ``channels``: channel ``c`` is
            rows ``channels[c]`` to ``channels[c + 1]``); None: one channel of all rows.

    Returns:
        ``(..., n_channels, frames)``: one value per channel and frame of ``S``.
        Differentiable (almost everywhere: the clamp, maximum and median pick one input).
    """
    reference = max_filter(S, max_size)
    rise = (S[..., lag:] - reference[..., :-lag]).clamp(min=0.0)
    parts: list[Tensor] = []
    for start, end in channel_bounds(channels, S.shape[-2]):
        part = rise[..., start:end, :]
        if aggregate == "mean":
            parts.append(part.mean(dim=-2))
        elif aggregate == "max":
            parts.append(part.amax(dim=-2))
        else:
            parts.append(_median(part))
    env = torch.stack(parts, dim=-2)
    shift = lag + (n_fft // (2 * hop_length) if center else 0)
    env = F.pad(env, (shift, 0))
    if detrend:
        difference = torch.cat([env[..., :1], env[..., 1:] - env[..., :-1]], dim=-1)
        env = deemphasis(difference, 0.99)
    if center:
        env = env[..., : S.shape[-1]]
    return env


def onset_strength(
    S: Tensor,
    lag: int = 1,
    max_size: int = 1,
    detrend: bool = False,
    center: bool = True,
    n_fft: int = 2048,
    hop_length: int = 512,
    aggregate: str = "mean",
) -> Tensor:
    """librosa's ``onset.onset_strength(S=...)``: :func:`onset_strength_multi` with one
    channel of all rows.

    Returns:
        ``(..., frames)``.
    """
    env = onset_strength_multi(S, lag, max_size, detrend, center, n_fft, hop_length, aggregate)
    return env[..., 0, :]


def _median(x: Tensor) -> Tensor:
    """numpy's median over the rows of ``(..., rows, frames)``: the middle value, or the mean
    of the two middle values for an even count (torch.median takes the lower one)."""
    ordered = x.sort(dim=-2).values
    rows = x.shape[-2]
    upper = ordered[..., rows // 2, :]
    if rows % 2 == 1:
        return upper
    return 0.5 * (ordered[..., rows // 2 - 1, :] + upper)


def autocorrelate(x: Tensor, max_size: int | None = None, dim: int = -1) -> Tensor:
    """librosa's ``autocorrelate``: ``r[k] = sum_n x[n] x[n + k]`` for lags ``0 <= k <
    max_size`` along ``dim``, by FFT (zero-padded to at least ``2 n - 1``).

    Args:
        x: real, any shape. max_size: lags kept (None: all ``n``).

    Returns:
        ``x`` with ``dim`` cut to ``min(max_size, n)`` lags.
    """
    n = x.shape[dim]
    size = n if max_size is None else min(max_size, n)
    spectrum = torch.fft.rfft(x, n=2 * n, dim=dim)
    power = spectrum.real.square() + spectrum.imag.square()
    out: Tensor = torch.fft.irfft(power, n=2 * n, dim=dim)
    return out.narrow(dim, 0, size)


def tempogram(
    onset_envelope: Tensor, window: Tensor, center: bool = True, norm: float | None = math.inf
) -> Tensor:
    """librosa's ``feature.tempogram(onset_envelope=...)``: the windowed autocorrelation of
    the onset envelope around each frame (lag 0 to ``win_length - 1`` frames), normalised per
    frame (max for inf; None: raw).

    With ``center`` the envelope is padded by ``win_length // 2`` frames on each side with a
    linear ramp from 0 to its edge value (numpy's ``"linear_ramp"``), and frame ``t``'s window
    starts ``win_length // 2`` frames before it.

    Args:
        onset_envelope: ``(..., frames)``.
        window: ``(win_length,)`` autocorrelation window (librosa: periodic Hann).

    Returns:
        ``(..., win_length, frames)`` (without ``center``: ``frames - win_length + 1``).
    """
    win_length = window.shape[0]
    frames = onset_envelope.shape[-1]
    x = onset_envelope
    if center:
        pad = win_length // 2
        ramp = torch.arange(pad, dtype=x.dtype, device=x.device)
        left = ramp * (x[..., :1] / pad)
        right = (ramp * (x[..., -1:] / pad)).flip(-1)
        x = torch.cat([left, x, right], dim=-1)
    framed = x.unfold(-1, win_length, 1).transpose(-1, -2)  # (..., win_length, n)
    if center:
        framed = framed[..., :frames]
    out = autocorrelate(framed * window.to(x.dtype)[:, None], dim=-2)
    return normalize(out, norm)
