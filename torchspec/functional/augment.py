"""SpecAugment's masks as functions: bands of frequency rows or time frames set to a value.

The draws follow ``torchaudio.functional.mask_along_axis`` / ``mask_along_axis_iid`` call for
call (two uniform draws per mask: its width, then its start), so under the same seed of the
global generator the masks are torchaudio's. A ``generator`` makes them reproducible without
touching the global state.
"""

import torch
from torch import Tensor


def _mask_param(mask_param: int, p: float, axis_length: int) -> int:
    """The largest width drawn: ``mask_param``, at most ``p`` of the axis when ``p < 1``."""
    if p == 1.0:
        return mask_param
    return min(mask_param, int(axis_length * p))


def _check_axis(dim: int, axis: int, minimum: int) -> None:
    if dim < minimum:
        raise ValueError(
            f"masking needs a spectrogram with at least {minimum} dims, got {dim}: "
            + ("(..., freq, time)" if minimum == 2 else "(batch, ..., freq, time)")
        )
    if axis not in (dim - 2, dim - 1):
        raise ValueError(
            f"axis must be the frequency axis {dim - 2} or the time axis {dim - 1}, got {axis}"
        )


def _fill(mask_value: float | Tensor, like: Tensor) -> Tensor:
    """``mask_value`` as a 0-d tensor of ``like``'s dtype and device."""
    if isinstance(mask_value, Tensor):
        return mask_value.to(dtype=like.dtype, device=like.device)
    return torch.full((), mask_value, dtype=like.dtype, device=like.device)


def mask_along_axis(
    specgram: Tensor,
    mask_param: int,
    mask_value: float | Tensor,
    axis: int,
    p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """One mask shared by every item: a band ``[start, start + width)`` along ``axis`` set to
    ``mask_value``, with ``width = floor(u1 * W)`` and ``start = floor(u2 * (L - u1 * W))``,
    ``u1, u2`` uniform on [0, 1), ``W`` the largest width (``mask_param``, or ``p`` of the axis
    if smaller), ``L`` the axis length.

    Args:
        specgram: ``(..., freq, time)``.
        mask_param: largest width, in rows or frames.
        mask_value: the value written into the band (a float or a 0-d tensor).
        axis: ``specgram.dim() - 2`` (frequency) or ``specgram.dim() - 1`` (time).
        p: largest fraction of the axis one mask may cover, in [0, 1].
        generator: a CPU generator for the two draws (None: the global one).

    Returns:
        The masked ``(..., freq, time)``; the input itself when the largest width is 0.
    """
    _check_axis(specgram.dim(), axis, 2)
    length = specgram.shape[axis]
    largest = _mask_param(mask_param, p, length)
    if largest < 1:
        return specgram
    width = torch.rand(1, generator=generator) * largest
    first = torch.rand(1, generator=generator) * (length - width)
    start = first.long().squeeze().to(specgram.device)
    end = (first.long() + width.long()).squeeze().to(specgram.device)
    index = torch.arange(length, device=specgram.device)
    band = (index >= start) & (index < end)
    if axis == specgram.dim() - 2:
        band = band.unsqueeze(-1)
    return torch.where(band, _fill(mask_value, specgram), specgram)


def mask_along_axis_iid(
    specgrams: Tensor,
    mask_param: int,
    mask_value: float | Tensor,
    axis: int,
    p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """One mask per item (every index of the leading dims), drawn as in
    :func:`mask_along_axis`, all at once on the input's device (no host synchronisation).

    Args:
        specgrams: ``(batch, ..., freq, time)``, at least 3-D.
        mask_param, mask_value, axis, p: as in :func:`mask_along_axis`.
        generator: a generator on the input's device (None: the global one).

    Returns:
        The masked ``(batch, ..., freq, time)``.
    """
    dim = specgrams.dim()
    _check_axis(dim, axis, 3)
    length = specgrams.shape[axis]
    largest = _mask_param(mask_param, p, length)
    if largest < 1:
        return specgrams
    lead = specgrams.shape[: dim - 2]
    device, dtype = specgrams.device, specgrams.dtype
    width = torch.rand(lead, generator=generator, device=device, dtype=dtype) * largest
    first = torch.rand(lead, generator=generator, device=device, dtype=dtype) * (length - width)
    start = first.long()[..., None, None]
    end = (first.long() + width.long())[..., None, None]
    index = torch.arange(length, device=specgrams.device)
    moved = specgrams.transpose(axis, -1)
    band = (index >= start) & (index < end)
    return torch.where(band, _fill(mask_value, specgrams), moved).transpose(axis, -1)
