"""Time derivatives and running normalisation of feature sequences: deltas (regression over a
window, Kaldi's and HTK's definition) and sliding-window mean (and variance) normalisation
(Kaldi's ``apply-cmvn-sliding``)."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..checks import compute_dtype
from .padding import pad_last


def compute_deltas(specgram: Tensor, win_length: int = 5, mode: str = "replicate") -> Tensor:
    """Delta coefficients along the last axis:
    ``d[t] = sum_{n=1..N} n (c[t+n] - c[t-n]) / (2 sum_{n=1..N} n**2)`` with
    ``N = (win_length - 1) // 2``, the edges extended by ``mode`` (torchaudio's
    ``compute_deltas``).

    Args:
        specgram: ``(..., freq, time)`` (any leading dims; each row on its own).
        win_length: regression window in frames, >= 3 (an even length acts as the odd one
            below it).
        mode: how the ends are extended: ``"replicate"`` (repeat the edge frame),
            ``"reflect"``, ``"constant"`` (zeros) or ``"circular"``.

    Returns:
        ``(..., freq, time)`` deltas in the input's dtype (half precision computed in float32).
    """
    n = (win_length - 1) // 2
    denominator = n * (n + 1) * (2 * n + 1) / 3
    dtype = compute_dtype(specgram.dtype)
    frames = specgram.shape[-1]
    padded = F.pad(specgram.reshape(-1, 1, frames).to(dtype), (n, n), mode=mode)
    out = torch.zeros_like(padded[..., n : n + frames])
    for k in range(1, n + 1):  # shifted differences: no convolution whose algorithm
        # torch.compile picks by batch size (a recompilation per batch)
        out = out + k * (padded[..., n + k : n + k + frames] - padded[..., n - k : n - k + frames])
    out = out / denominator
    return out.reshape(specgram.shape).to(specgram.dtype)


def delta_windows(order: int = 2, window: int = 2) -> list[Tensor]:
    """Kaldi's ``add-deltas`` regression windows, float64: order 0 is ``[1]``; order ``i`` is
    order ``i - 1`` convolved with ``j / sum_{k=-N..N} k**2`` for ``j = -N .. N``
    (``N = window``), ``2 i N + 1`` taps centred on the frame."""
    first = torch.arange(-window, window + 1, dtype=torch.float64)
    first = first / first.square().sum()
    windows = [torch.ones(1, dtype=torch.float64)]
    for _ in range(order):
        previous = windows[-1]
        taps = previous.numel() + 2 * window
        current = torch.zeros(taps, dtype=torch.float64)
        for j in range(2 * window + 1):
            current[j : j + previous.numel()] += first[j] * previous
        windows.append(current)
    return windows


def add_deltas(features: Tensor, order: int = 2, window: int = 2) -> Tensor:
    """Kaldi's ``add-deltas`` (``--delta-order``, ``--delta-window``): the features followed
    by their deltas up to ``order``, each order's window (:func:`delta_windows`) applied to the
    features themselves with the frame index clamped to the first and last frame.

    Args:
        features: ``(..., rows, frames)``, at least one frame.
        order: highest delta order, >= 0. window: ``N``, >= 1 (``2 N + 1`` frames).

    Returns:
        ``(..., rows * (order + 1), frames)``: rows of order 0, then order 1, ...; the input's
        dtype (half precision computed in float32). Differentiable.
    """
    dtype = compute_dtype(features.dtype)
    x = features.to(dtype)
    frames = x.shape[-1]
    reach = order * window
    index = torch.arange(-reach, frames + reach, device=x.device).clamp(0, frames - 1)
    padded = x.index_select(-1, index)
    blocks = [x]
    for taps in delta_windows(order, window)[1:]:
        offset = reach - (taps.numel() - 1) // 2
        out = torch.zeros_like(x)
        for j, scale in enumerate(taps.tolist()):
            if scale != 0.0:
                out = out + scale * padded[..., offset + j : offset + j + frames]
        blocks.append(out)
    return torch.cat(blocks, dim=-2).to(features.dtype)


def cmn_windows(
    n_frames: int, cmn_window: int, min_cmn_window: int, center: bool, device: torch.device
) -> tuple[Tensor, Tensor]:
    """The ``[start, end)`` frame range each frame is normalised over, as ``(n_frames,)``
    integer tensors: Kaldi's sliding window, moved inside ``[0, n_frames)`` at the ends and at
    least ``min_cmn_window`` frames long at the start when not centred."""
    t = torch.arange(n_frames, device=device)
    if center:
        start = t - cmn_window // 2
        end = start + cmn_window
    else:
        start = t - cmn_window
        end = t + 1
    end = end - start.clamp(max=0)  # a window that starts before 0 slides right
    start = start.clamp(min=0)
    if not center:
        end = torch.clamp(t + 1, min=min_cmn_window)
    overshoot = (end - n_frames).clamp(min=0)  # ... and one that ends after the last slides left
    start = (start - overshoot).clamp(min=0)
    end = end - overshoot
    return start, end


def sliding_window_cmn(
    specgram: Tensor,
    cmn_window: int = 600,
    min_cmn_window: int = 100,
    center: bool = False,
    norm_vars: bool = False,
) -> Tensor:
    """Subtract from each frame the mean of the frames in its window (:func:`cmn_windows`),
    and with ``norm_vars`` divide by their standard deviation (torchaudio's
    ``sliding_window_cmn``, Kaldi's ``apply-cmvn-sliding``).

    Window sums are differences of running sums taken in float64 (exact to 1e-16 of the
    sums whatever the length), so the result does not drift over long recordings.

    Args:
        specgram: ``(..., time, freq)``: frames along the second-to-last axis, as Kaldi's
            features.
        cmn_window: window length in frames, >= 1.
        min_cmn_window: shortest window at the start (``center=False`` only), in frames.
        center: centre the window on the frame (else it ends at the frame).
        norm_vars: also normalise the variance. A window of one frame gives zeros, as does a
            window whose frames are all equal (variance 0, or under 1e-12 of the mean
            square: rounding).

    Returns:
        ``(..., time, freq)`` in the input's dtype.
    """
    n_frames = specgram.shape[-2]
    start, end = cmn_windows(n_frames, cmn_window, min_cmn_window, center, specgram.device)
    x = specgram.to(torch.float64)
    zero = torch.zeros_like(x[..., :1, :])
    running = torch.cat([zero, torch.cumsum(x, dim=-2)], dim=-2)
    count = (end - start).to(torch.float64)[:, None]
    mean = (running.index_select(-2, end) - running.index_select(-2, start)) / count
    out = x - mean
    if norm_vars:
        squares = torch.cat([zero, torch.cumsum(x.square(), dim=-2)], dim=-2)
        power = (squares.index_select(-2, end) - squares.index_select(-2, start)) / count
        variance = power - mean.square()
        # one frame, or equal frames (a variance that is rounding): 0; NaN stays NaN
        degenerate = (variance <= 1e-12 * power) | (count <= 1)
        out = torch.where(degenerate, 0.0, out * variance.clamp(min=1e-300).rsqrt())
    return out.to(compute_dtype(specgram.dtype)).to(specgram.dtype)


def savgol_matrices(width: int, order: int) -> tuple[Tensor, Tensor, Tensor]:
    """The linear maps of librosa's ``delta`` (``scipy.signal.savgol_filter`` with
    ``polyorder = deriv = order``), float64: ``(width,)`` weights of the centred
    least-squares fit's ``order``-th derivative (``y[t] = sum_n w[n] x[t - h + n]``,
    ``h = width // 2``), and the ``(h, width)`` maps from the first and from the last
    ``width`` samples to the first and last ``h`` outputs (mode ``"interp"``: the polynomial
    fitted to the edge window, differentiated, evaluated at the edge positions)."""
    h = width // 2
    powers = torch.arange(order + 1, dtype=torch.float64)
    factorial = float(math.factorial(order))
    centred = torch.arange(-h, h + 1, dtype=torch.float64)[:, None] ** powers  # (width, p+1)
    weights = factorial * torch.linalg.pinv(centred)[order]
    positions = torch.arange(width, dtype=torch.float64)
    fit = torch.linalg.pinv(positions[:, None] ** powers)  # (p+1, width): samples -> coeffs
    # d^order/dx^order of x**k at the edge positions: k!/(k-order)! x**(k-order) for k >= order
    falling = torch.tensor(
        [math.perm(k, order) if k >= order else 0.0 for k in range(order + 1)],
        dtype=torch.float64,
    )
    exponents = (powers - order).clamp(min=0)

    def derivative_at(where: Tensor) -> Tensor:
        return falling * where[:, None] ** exponents  # (h, p+1)

    start = derivative_at(positions[:h]) @ fit
    end = derivative_at(positions[width - h :]) @ fit
    return weights, start, end


def delta(
    data: Tensor,
    weights: Tensor,
    start: Tensor,
    end: Tensor,
    mode: str = "interp",
) -> Tensor:
    """librosa's ``feature.delta`` along the last axis with :func:`savgol_matrices`'s maps.

    Args:
        data: ``(..., time)``; ``time >= width`` for ``mode="interp"``.
        weights, start, end: from :func:`savgol_matrices` (any float dtype; cast here).
        mode: ``"interp"`` (edges from a polynomial fitted to the edge window, librosa's
            default), or how the ends are extended before filtering: ``"nearest"`` (repeat),
            ``"mirror"`` (reflect about the edge sample), ``"constant"`` (zeros), ``"wrap"``.

    Returns:
        ``(..., time)`` in ``data``'s dtype (half precision computed in float32).
    """
    dtype = compute_dtype(data.dtype)
    x = data.to(dtype)
    w = weights.to(dtype)
    width = w.shape[0]
    h = width // 2
    if mode != "interp":
        torch_mode = {
            "constant": "constant",
            "nearest": "replicate",
            "mirror": "reflect",
            "wrap": "circular",
        }
        padded = pad_last(x, h, h, torch_mode[mode])
        return torch.matmul(padded.unfold(-1, width, 1), w).to(data.dtype)
    middle = torch.matmul(x.unfold(-1, width, 1), w)
    first = torch.matmul(x[..., :width], start.to(dtype).t())
    last = torch.matmul(x[..., x.shape[-1] - width :], end.to(dtype).t())
    return torch.cat([first, middle, last], dim=-1).to(data.dtype)
