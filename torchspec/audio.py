"""Loading audio files as ``(channels, time)`` float tensors (needs the ``audio`` extra)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import IO, Any

import torch
from torch import Tensor

Source = str | os.PathLike[str] | IO[bytes]


class AudioLoadError(OSError):
    """A file that exists but cannot be decoded (not audio, empty, corrupt): the message names
    the file and the reason. An ``OSError``, like the ``FileNotFoundError`` of a missing path."""


def probe(path: str | Path) -> float:
    """Duration of an audio file in seconds from its header (0.0 if it cannot be read)."""
    try:
        import soundfile

        info = soundfile.info(str(path))
    except Exception:  # soundfile raises several types; decoding will report the problem
        return 0.0
    return float(info.frames) / float(info.samplerate) if info.samplerate else 0.0


def resampled_length(length: int, rate: int, sample_rate: int) -> int:
    """``ceil(length * sample_rate / rate)``, exactly: librosa.resample's output length."""
    return -(-length * sample_rate // rate)


def load(
    path: Source,
    *,
    sample_rate: int | None = None,
    mono: bool = False,
    dtype: torch.dtype = torch.float32,
) -> tuple[Tensor, int]:
    """Decode audio with libsndfile (WAV, FLAC, Ogg/Vorbis, Opus, MP3, AIFF, ...).

    Args:
        path: a file path, or a binary file-like object (``open(..., "rb")``, ``io.BytesIO``).
        sample_rate: resample to this rate in Hz with soxr (high quality) to exactly
            ``ceil(length * sample_rate / rate)`` samples, as ``librosa.resample``; None keeps
            the file's rate.
        mono: average the channels into one (a bool).
        dtype: ``torch.float32`` (default) or ``torch.float64``: decoding and resampling
            happen in this precision.

    Returns:
        ``(waveform, sample_rate)`` with ``waveform`` of shape ``(channels, time)`` in
        ``dtype``, full scale at +-1.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        AudioLoadError: the data cannot be decoded or holds no samples.
        TypeError, ValueError: bad arguments.
    """
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError("torchspec.load needs soundfile: pip install 'torchspec[audio]'") from exc
    if not isinstance(mono, bool):
        raise TypeError(f"mono must be True or False, got {mono!r}")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    if sample_rate is not None and (
        isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0
    ):
        raise ValueError(
            f"sample_rate must be a positive integer (Hz) or None, got {sample_rate!r}"
        )
    numpy_dtype = "float64" if dtype == torch.float64 else "float32"
    source: Any = path
    name = getattr(path, "name", "<file object>")
    if isinstance(path, (str, os.PathLike)):
        name = os.fspath(path)
        if not os.path.exists(name):
            raise FileNotFoundError(errno.ENOENT, "no such audio file", name)
        source = name
    try:
        data, rate = soundfile.read(source, dtype=numpy_dtype, always_2d=True)
    except Exception as exc:  # soundfile raises several types; one error for the caller
        raise AudioLoadError(f"cannot decode {name}: {exc}") from exc
    if data.shape[0] == 0:
        raise AudioLoadError(f"cannot decode {name}: it holds no samples")
    if mono and data.shape[1] > 1:
        data = data.mean(axis=1, keepdims=True)
    if sample_rate is not None and sample_rate != rate:
        import numpy as np
        import soxr

        target = resampled_length(data.shape[0], int(rate), sample_rate)
        data = soxr.resample(data, rate, sample_rate, quality="HQ").astype(numpy_dtype, copy=False)
        if data.shape[0] != target:  # soxr may round the length down by one sample
            fixed = np.zeros((target, data.shape[1]), dtype=numpy_dtype)
            count = min(target, data.shape[0])
            fixed[:count] = data[:count]
            data = fixed
        rate = sample_rate
    # (channels, time) as a view of the decoded (time, channels) array: no third copy in memory
    return torch.from_numpy(data).T, int(rate)
