"""Descriptors of a spectrogram's shape, frame by frame."""

import torch
from torch import Tensor


def spectral_centroid_of(specgram: Tensor, freqs: Tensor) -> Tensor:
    """The magnitude-weighted mean frequency of each frame: ``sum_f freqs[f] S[f, t] /
    sum_f S[f, t]``, 0 for a frame whose magnitudes sum to 0 (where torchaudio gives NaN).

    Args:
        specgram: ``(..., freq, time)`` non-negative magnitudes.
        freqs: ``(freq,)`` the rows' frequencies (Hz).

    Returns:
        ``(..., time)`` in Hz.
    """
    weighted = torch.matmul(freqs.to(specgram.dtype), specgram)
    total = specgram.sum(dim=-2)
    silent = total == 0  # NaN is not silent: it propagates
    return torch.where(silent, 0.0, weighted / torch.where(silent, 1.0, total))
