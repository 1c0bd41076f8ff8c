"""Per-channel energy normalisation as functions: the IIR smoother as a chunked scan."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..checks import compute_dtype
from ..tracing import compiling
from .padding import pad_symmetric

CHUNK = 64  # frames solved at once by a matrix product; the loop runs over chunks only


def smoothing_coefficient(time_constant: float, sample_rate: float, hop_length: int) -> float:
    """librosa.pcen's default ``b``: ``(sqrt(1 + 4 T**2) - 1) / (2 T**2)`` with ``T`` the time
    constant in frames (about the full width at half maximum of the smoother's response)."""
    frames = time_constant * sample_rate / hop_length
    return (math.sqrt(1 + 4 * frames**2) - 1) / (2 * frames**2)


def smooth(
    ref: Tensor, b: Tensor, zi: Tensor | None = None, block: int = CHUNK
) -> tuple[Tensor, Tensor]:
    """First-order IIR low-pass along the last axis: ``M[t] = (1 - b) M[t - 1] + b E[t]``
    (``scipy.signal.lfilter([b], [1, b - 1], E)``), computed ``CHUNK`` frames at a time.

    Within a chunk ``M[t0 + i] = (1 - b)**(i + 1) M[t0 - 1] + sum_{j <= i} b (1 - b)**(i - j)
    E[t0 + j]``: one batched matrix product with a lower-triangular decay matrix, so the
    Python loop runs ``frames / CHUNK`` times, not once per frame.

    Args:
        ref: ``(..., channels, frames)``.
        b: ``(channels,)`` or a 0-d tensor, in ``(0, 1]``.
        zi: lfilter's initial state, broadcastable to ``(..., channels, 1)``: ``(1 - b)``
            times the smoother's value before the first frame. None: ``1 - b`` (librosa's
            ``lfilter_zi``: as if ``E`` had been 1 forever).

    Returns:
        The smoothed ``(..., channels, frames)`` and the final state ``zf``
        ``(..., channels, 1)`` (pass it as ``zi`` to continue a stream).
    """
    b = b.to(ref.dtype).reshape(-1, 1)  # (channels or 1, 1)
    decay = 1 - b
    lead, channels, frames = list(ref.shape[:-2]), ref.shape[-2], ref.shape[-1]
    x = ref.reshape(-1, channels, frames)
    state = decay if zi is None else zi.to(ref.dtype)
    previous = (state / decay).expand(lead + [channels, 1]).reshape(-1, channels, 1)
    if compiling():
        smoothed = _smooth_chunks_at_once(x, b, previous, block)
        return smoothed.reshape(ref.shape), (decay * smoothed[..., -1:]).reshape(
            lead + [channels, 1]
        )
    size = min(block, frames)
    weights, carry = _decay_weights(b, size)
    shared = weights.shape[0] == 1
    pieces = []
    for start in range(0, frames, size):
        chunk = x[..., start : start + size]
        n = chunk.shape[-1]
        if shared:  # one GEMM: (batch * channels, n) @ (n, n)
            out = torch.matmul(chunk, weights[0, :n, :n])
        else:  # one GEMM per channel: (channels, batch, n) @ (channels, n, n)
            out = torch.matmul(chunk.transpose(0, 1), weights[:, :n, :n]).transpose(0, 1)
        out = out + carry[..., :n] * previous
        pieces.append(out)
        previous = out[..., -1:]
    smoothed = torch.cat(pieces, dim=-1) if len(pieces) > 1 else pieces[0]
    return smoothed.reshape(ref.shape), (decay * previous).reshape(lead + [channels, 1])


def _decay_weights(b: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """The lower-triangular ``(channels or 1, size, size)`` matrix of a chunk's response to its
    own frames (``[j, i] = b (1 - b)**(i - j)``, for ``x @ weights``) and the ``(channels or 1,
    size)`` decay ``(1 - b)**(i + 1)`` of the state before the chunk."""
    steps = torch.arange(size, dtype=b.dtype, device=b.device)
    lags = steps[None, :] - steps[:, None]
    log_decay = torch.log(1 - b)[..., None]  # (channels or 1, 1, 1)
    weights = torch.where(lags >= 0, b[..., None] * torch.exp(lags.clamp_min(0) * log_decay), 0)
    return weights, torch.exp((steps + 1) * log_decay[..., 0])


def _smooth_chunks_at_once(x: Tensor, b: Tensor, previous: Tensor, block: int = CHUNK) -> Tensor:
    """:func:`smooth` without a loop whose length depends on the input (for torch.export,
    ONNX and torch.compile): every chunk from a zero state at once, then the chunks' starting
    states from a ``(chunks, chunks)`` decay matrix, i.e. the same recurrence one level up.

    Args:
        x: ``(batch, channels, frames)``; b: ``(channels or 1, 1)``; previous: the smoother's
            value before frame 0, ``(batch, channels, 1)``.
    """
    batch, channels, frames = x.shape
    chunks = (frames + block - 1) // block
    blocks = F.pad(x, (0, chunks * block - frames)).reshape(batch, channels, chunks, block)
    weights, carry = _decay_weights(b, block)
    local = torch.matmul(blocks, weights)  # (batch, channels, chunks, CHUNK)
    # State after chunk k: m_k = D m_(k-1) + local_k[-1] with D = (1 - b)**CHUNK.
    index = torch.arange(chunks, dtype=x.dtype, device=x.device)
    lags = index[None, :] - index[:, None]  # [j, k] = k - j
    log_block = block * torch.log(1 - b)[..., None]  # (channels or 1, 1, 1)
    spread = torch.where(lags >= 0, torch.exp(lags.clamp_min(0) * log_block), 0)
    ends = torch.matmul(local[..., -1].unsqueeze(-2), spread).squeeze(-2)  # (batch, ch, chunks)
    ends = ends + torch.exp((index + 1) * log_block[..., 0]) * previous
    starts = torch.cat([previous, ends[..., :-1]], dim=-1)  # state before each chunk
    out = local + starts[..., None] * carry[:, None, :]
    return out.reshape(batch, channels, chunks * block)[..., :frames]


def max_filter(x: Tensor, size: int) -> Tensor:
    """``scipy.ndimage.maximum_filter1d(x, size, axis=-2)`` (mode ``"reflect"``: the edge
    sample repeated, ``d c b a | a b c d``) over the channel axis of ``(..., channels, frames)``."""
    if size == 1:
        return x
    # (..., channels + size - 1, frames)
    padded = pad_symmetric(x, size // 2, size - 1 - size // 2, -2)
    flat = padded.reshape(-1, padded.shape[-2], padded.shape[-1]).transpose(1, 2)
    pooled = F.max_pool1d(flat, size, stride=1).transpose(1, 2)
    return pooled.reshape(x.shape)


def pcen(
    specgram: Tensor,
    *,
    gain: Tensor | float,
    bias: Tensor | float,
    power: Tensor | float,
    b: Tensor | float,
    eps: float,
    max_size: int = 1,
    zi: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Per-channel energy normalisation (Wang et al. 2017), as librosa.pcen.

    ``M = smooth(ref)``, ``ref`` the spectrogram max-filtered over ``max_size`` channels;
    ``S / (eps + M)**gain`` (in log space), then ``(. + bias)**power - bias**power``;
    ``log1p`` when ``power`` is 0, no offset when ``bias`` is 0.

    Args:
        specgram: ``(..., channels, frames)`` non-negative.
        gain, bias, power, b: floats, or ``(channels,)`` tensors (per-channel PCEN).
        eps: floor of the smoothed energy, > 0.
        max_size: channels of the max filter (1: none).
        zi: streaming state, as :func:`smooth`.

    Returns:
        ``(..., channels, frames)`` in the computation dtype (float32 for half precision),
        and the final smoother state ``(..., channels, 1)``.
    """
    dtype = compute_dtype(specgram.dtype)
    x = specgram.to(dtype)

    def per_channel(value: Tensor | float) -> Tensor:
        tensor = torch.as_tensor(value, dtype=dtype, device=x.device)
        return tensor.reshape(-1, 1) if tensor.dim() else tensor

    smoothed, zf = smooth(max_filter(x, max_size), per_channel(b).reshape(-1), zi)
    gain_, bias_, power_ = per_channel(gain), per_channel(bias), per_channel(power)
    log_smooth = -gain_ * (math.log(eps) + torch.log1p(smoothed / eps))
    if isinstance(power, (int, float)) and power == 0:
        return torch.log1p(x * torch.exp(log_smooth)), zf
    if isinstance(bias, (int, float)) and bias == 0:
        return torch.exp(power_ * (torch.log(x) + log_smooth)), zf
    y = x * torch.exp(log_smooth)
    ratio = y / bias_
    # librosa's bias**power * expm1(power * log1p(y / bias)) where y / bias is small; the same
    # value as (bias + y)**power - bias**power where it is large (a tiny bias would overflow).
    small = bias_**power_ * torch.expm1(power_ * torch.log1p(ratio.clamp(max=1.0)))
    large = (bias_ + y) ** power_ - bias_**power_
    return torch.where(ratio <= 1.0, small, large), zf
