"""Stage 3, decode: one input file to a ``(channels, time)`` waveform at the feature's rate, or
the reason it cannot be used. Runs in DataLoader workers (local engine) or Ray tasks."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..audio import AudioLoadError, load
from .discover import Item


@dataclass(frozen=True)
class DecodeOptions:
    """How every file is decoded.

    Attributes:
        sample_rate: resample to this rate (Hz).
        dtype: ``torch.float32`` or ``torch.float64`` (decoding and resampling precision).
        mono: average the channels into one.
        channels: keep only these channel numbers (None: all).
        min_samples: the shortest waveform the feature accepts (after resampling).
    """

    sample_rate: int
    dtype: torch.dtype
    mono: bool
    channels: list[int] | None
    min_samples: int


def decode(item: Item, options: DecodeOptions) -> Tensor | str:
    """The waveform of ``item``, or a message naming the file and what is wrong with it."""
    try:
        waveform, _ = load(
            item.source, sample_rate=options.sample_rate, mono=options.mono, dtype=options.dtype
        )
    except (AudioLoadError, OSError) as exc:
        return str(exc)
    if options.channels is not None:
        if max(options.channels) >= waveform.shape[0]:
            return (
                f"{item.source} has {waveform.shape[0]} channel(s); --channels asks for "
                f"channel {max(options.channels)}"
            )
        waveform = waveform[options.channels]
    if not bool(torch.isfinite(waveform).all()):
        return f"{item.source}: the audio has NaN or infinite samples"
    if waveform.shape[-1] < options.min_samples:
        return (
            f"{item.source}: {waveform.shape[-1]} samples at {options.sample_rate} Hz is too "
            f"short for this feature (it needs at least {options.min_samples})"
        )
    return waveform
