"""Spectral shape descriptors: where a frame's energy sits. Drop-in for torchaudio's
``SpectralCentroid``."""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ..base import ExactBuffersModule
from ..checks import (
    check_device,
    check_device_arg,
    check_dtype,
    check_int,
    check_optional_int,
    check_waveform,
    compute_dtype,
    empty_batch,
)
from ..functional.descriptors import spectral_centroid_of
from ..functional.filterbanks import make_window
from ..functional.spectral import spectrogram
from ..tracing import scripting


class SpectralCentroid(ExactBuffersModule):
    """The spectral centroid of each frame: the mean frequency of the STFT magnitude,
    ``sum_f f |X[f, t]| / sum_f |X[f, t]|`` in Hz.

    The STFT is torchaudio's ``Spectrogram`` with ``power=1`` (centred, reflect padding);
    the bin frequencies are ``linspace(0, sample_rate // 2, n_fft // 2 + 1)`` as in
    torchaudio. A silent frame has centroid 0 (torchaudio gives NaN).

    Args:
        sample_rate: sample rate in Hz, an integer >= 1.
        n_fft: FFT size, >= 2. Default 400.
        win_length: window length, <= n_fft. Default ``n_fft``.
        hop_length: hop in samples. Default ``win_length // 2``.
        pad: zeros added on both sides first. Default 0.
        window_fn: window function. Default ``torch.hann_window``.
        wkwargs: keyword arguments for ``window_fn``.

    Keyword-only args:
        device, dtype: where and in which dtype the window is held.

    Shapes:
        input ``(..., time)`` real; output ``(..., frames)`` in Hz, the input's dtype.
        State-dict key ``window``, as torchaudio's.
    """

    window: Tensor
    freqs: Tensor

    def __init__(
        self,
        sample_rate: int,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        wkwargs: dict[str, Any] | None = None,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.sample_rate = check_int("sample_rate", sample_rate, minimum=1)
        self.n_fft = check_int("n_fft", n_fft, minimum=2)
        win = check_optional_int("win_length", win_length, minimum=1, maximum=n_fft)
        self.win_length = self.n_fft if win is None else win
        hop = check_optional_int("hop_length", hop_length, minimum=1)
        self.hop_length = max(self.win_length // 2, 1) if hop is None else hop
        self.pad = check_int("pad", pad, minimum=0)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        window = make_window(window_fn, self.win_length, wkwargs)
        self.register_exact_buffer("window", window, dtype=dtype, device=device)
        freqs = torch.linspace(0, self.sample_rate // 2, self.n_fft // 2 + 1, dtype=torch.float64)
        self.register_exact_buffer("freqs", freqs, dtype=dtype, device=device, persistent=False)

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., frames)`` centroids in Hz."""
        if not scripting():
            check_waveform(waveform, "SpectralCentroid")
            check_device(waveform, self.window, "SpectralCentroid")
            empty = empty_batch(waveform, 1, self.forward)
            if empty is not None:
                return empty
        x = waveform.to(compute_dtype(waveform.dtype))  # float16 sums would overflow
        magnitude = spectrogram(
            x,
            self.pad,
            self.window,
            self.n_fft,
            self.hop_length,
            self.win_length,
            1.0,
            False,
        )
        return spectral_centroid_of(magnitude, self.freqs).to(waveform.dtype)

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate}, n_fft={self.n_fft}, win_length={self.win_length}, "
            f"hop_length={self.hop_length}, pad={self.pad}"
        )
