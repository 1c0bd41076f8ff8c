"""Loading audio files as ``(channels, time)`` float32 tensors (needs the ``audio`` extra)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor


class AudioLoadError(ValueError):
    """A file that cannot be decoded: the message names the file and the reason."""


def probe(path: str | Path, sample_rate: int | None = None) -> float:
    """Duration of an audio file in seconds from its header (0.0 if it cannot be read)."""
    try:
        import soundfile

        info = soundfile.info(str(path))
    except Exception:  # soundfile raises several types; decoding will report the problem
        return 0.0
    return float(info.frames) / float(info.samplerate) if info.samplerate else 0.0


def load(
    path: str | Path,
    *,
    sample_rate: int | None = None,
    mono: bool = False,
    dtype: torch.dtype = torch.float32,
) -> tuple[Tensor, int]:
    """Decode an audio file with libsndfile (WAV, FLAC, Ogg/Vorbis, Opus, MP3, ...).

    Args:
        path: the file.
        sample_rate: resample to this rate in Hz (soxr, high quality); None keeps the file's.
        mono: average the channels into one.
        dtype: ``torch.float32`` (default) or ``torch.float64``: decoding and resampling
            happen in this precision.

    Returns:
        ``(waveform, sample_rate)`` with ``waveform`` of shape ``(channels, time)`` in
        ``dtype``, full scale at +-1.

    Raises:
        AudioLoadError: the file is missing, empty, not audio, or cannot be decoded.
    """
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError("torchspec.load needs soundfile: pip install 'torchspec[audio]'") from exc
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    numpy_dtype = "float64" if dtype == torch.float64 else "float32"
    path = Path(path)
    try:
        data, rate = soundfile.read(str(path), dtype=numpy_dtype, always_2d=True)
    except Exception as exc:  # soundfile raises several types; one error for the caller
        raise AudioLoadError(f"cannot decode {path}: {exc}") from exc
    if data.shape[0] == 0:
        raise AudioLoadError(f"cannot decode {path}: it holds no samples")
    if mono and data.shape[1] > 1:
        data = data.mean(axis=1, keepdims=True)
    if sample_rate is not None and sample_rate != rate:
        if not sample_rate > 0:
            raise ValueError(f"sample_rate must be > 0 Hz, got {sample_rate!r}")
        import soxr

        data = soxr.resample(data, rate, sample_rate, quality="HQ").astype(numpy_dtype, copy=False)
        rate = sample_rate
    # (channels, time) as a view of the decoded (time, channels) array: no third copy in memory
    return torch.from_numpy(data).T, int(rate)
