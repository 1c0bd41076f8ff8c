"""Counter-based Gaussian noise: each frame's noise is a function of a key and the frame's
place in the signal, so that a stream fed in any chunks draws the same noise as one call on
the whole signal, in any blocking, on any device.

Noise value ``(item, frame, sample)`` hashes ``(key, item, frame, 2 * sample)`` and
``(..., 2 * sample + 1)`` to two uniform numbers in (0, 1) with Wellons' ``lowbias32``
integer hash (32-bit, low bias), chained, and turns them into a standard normal number by the
Box-Muller transform in float64. The arithmetic is in int64 holding 32-bit values, with
products split so that no intermediate leaves int64's range (constants are written out:
TorchScript reads no integer globals).
"""

import math

import torch
from torch import Tensor


def _times(x: Tensor, constant: int) -> Tensor:
    """``x * constant mod 2**32`` for 32-bit ``x``, every product below 2**49."""
    high = ((x >> 16) * constant) & 0xFFFF
    return ((high << 16) + (x & 0xFFFF) * constant) & 0xFFFFFFFF


def lowbias32(x: Tensor) -> Tensor:
    """Wellons' ``lowbias32`` hash of int64 tensors holding 32-bit values."""
    x = x ^ (x >> 16)
    x = _times(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _times(x, 0x846CA68B)
    return x ^ (x >> 16)


def draw_key(generator: torch.Generator | None) -> int:
    """A 32-bit noise key drawn from ``generator`` (torch's default generator when None);
    it advances the generator by one draw."""
    return int(torch.randint(0, 1 << 32, (1,), generator=generator).item())


def frame_noise(
    key: int,
    shape: list[int],
    first_frame: int,
    dtype: torch.dtype,
    device: torch.device,
) -> Tensor:
    """Standard normal noise of ``shape`` ``(items, frames, size)`` for frames
    ``first_frame, first_frame + 1, ...`` of each item.

    The value at ``(i, t, j)`` depends only on ``key``, ``i``, ``first_frame + t`` and ``j``:
    noise for frames 5-9 equals rows 5-9 of the noise for frames 0-9.
    """
    items, frames, size = shape[0], shape[1], shape[2]
    long = torch.int64
    # 0x9E3779B9 (2**32 / golden ratio) spreads consecutive item numbers
    item = lowbias32(
        (key + torch.arange(items, dtype=long, device=device) * 0x9E3779B9) & 0xFFFFFFFF
    )
    frame = torch.arange(first_frame, first_frame + frames, dtype=long, device=device) & 0xFFFFFFFF
    row = lowbias32(item[:, None] ^ frame)  # (items, frames)
    sample = torch.arange(size, dtype=long, device=device) * 2
    counter = row[:, :, None] ^ sample  # (items, frames, size)
    scale = 1.0 / 4294967296.0
    first = (lowbias32(counter).to(torch.float64) + 0.5) * scale  # in (0, 1), never 0
    second = (lowbias32(counter ^ 1).to(torch.float64) + 0.5) * scale
    radius = torch.sqrt(-2.0 * torch.log(first))
    return (radius * torch.cos((2.0 * math.pi) * second)).to(dtype)
