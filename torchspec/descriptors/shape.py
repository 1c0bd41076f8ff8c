"""Spectral shape descriptors: where a frame's energy sits, how spread, flat and peaked it
is, and the polynomial it follows. ``SpectralCentroid`` is torchaudio's drop-in; the others
take librosa's parameter names and defaults (``librosa.feature.spectral_bandwidth``,
``spectral_rolloff``, ``spectral_flatness``, ``spectral_contrast``, ``poly_features``)."""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ..base import ExactBuffersModule
from ..checks import (
    check_bool,
    check_choice,
    check_device,
    check_device_arg,
    check_dtype,
    check_int,
    check_number,
    check_optional_int,
    check_waveform,
    compute_dtype,
    empty_batch,
)
from ..functional.descriptors import (
    band_contrast,
    contrast_bands,
    poly_fit_matrix,
    spectral_bandwidth,
    spectral_centroid,
    spectral_centroid_of,
    spectral_flatness,
    spectral_rolloff,
)
from ..functional.filterbanks import LIBROSA_WINDOWS, make_window
from ..functional.spectral import as_input_dtype, spectrogram
from ..spectrogram import Spectrogram
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


class _LibrosaSpectralShape(ExactBuffersModule):
    """A descriptor of librosa's STFT magnitude ``|stft(y)|`` (``librosa.feature``'s
    ``_spectrogram``, ``power=1`` unless told): the spectrogram layer and the bin frequencies
    ``linspace(0, sr / 2, 1 + n_fft // 2)`` (``librosa.fft_frequencies``)."""

    freq: Tensor

    def __init__(
        self,
        sr: float,
        n_fft: int,
        hop_length: int,
        win_length: int | None,
        window: str,
        center: bool,
        pad_mode: str,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
        power: float = 1.0,
    ) -> None:
        super().__init__()
        self.sr = check_number("sr", sr, above=0.0)
        n_fft = check_int("n_fft", n_fft, minimum=2)
        window = check_choice("window", window, tuple(LIBROSA_WINDOWS))
        self.spectrogram = Spectrogram(
            n_fft,
            win_length,
            hop_length,
            window_fn=LIBROSA_WINDOWS[window],
            power=power,
            center=check_bool("center", center),
            pad_mode=pad_mode,
            device=device,
            dtype=dtype,
        )
        freq = torch.linspace(0, self.sr / 2, n_fft // 2 + 1, dtype=torch.float64)
        self.register_exact_buffer(
            "freq",
            freq,
            dtype=check_dtype(dtype),
            device=check_device_arg(device),
            persistent=False,
        )

    def magnitude(self, y: Tensor, name: str) -> Tensor:
        """``|stft(y)| ** power``, in float32 for half-precision input (its squares overflow)."""
        if not scripting():
            check_waveform(y, name)
        out: Tensor = self.spectrogram(y.to(compute_dtype(y.dtype)))
        return out


class LibrosaSpectralCentroid(_LibrosaSpectralShape):
    """``librosa.feature.spectral_centroid``: the magnitude-weighted mean frequency of each
    frame, in Hz, with librosa's parameters and output shape (:class:`SpectralCentroid` is
    torchaudio's, with torchaudio's). A silent frame gives 0.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``n_fft`` 2048, ``hop_length``
    512, ``win_length``, ``window`` ``"hann"``, ``center`` True, ``pad_mode``
    ``"constant"``; device, dtype.

    Shapes: input ``(..., time)``; output ``(..., 1, frames)`` in Hz.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(sr, n_fft, hop_length, win_length, window, center, pad_mode, device, dtype)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 1, frames)`` in Hz."""
        magnitude = self.magnitude(y, "LibrosaSpectralCentroid")
        freq = self.freq.to(magnitude.dtype)
        return as_input_dtype(spectral_centroid(magnitude, freq), y.dtype)


class SpectralBandwidth(_LibrosaSpectralShape):
    """``librosa.feature.spectral_bandwidth``: the ``p``-th order spread of each frame's
    magnitude around its centroid, in Hz.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``n_fft`` 2048, ``hop_length``
    512, ``win_length`` None (n_fft), ``window`` ``"hann"`` (or ``"hamming"``,
    ``"blackman"``), ``center`` True, ``pad_mode`` ``"constant"``, ``norm`` True, ``p`` 2.0;
    device, dtype.

    Shapes: input ``(..., time)``; output ``(..., 1, frames)`` in Hz.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        norm: bool = True,
        p: float = 2.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(sr, n_fft, hop_length, win_length, window, center, pad_mode, device, dtype)
        self.norm = check_bool("norm", norm)
        self.p = check_number("p", p, above=0.0)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 1, frames)`` in Hz."""
        magnitude = self.magnitude(y, "SpectralBandwidth")
        freq = self.freq.to(magnitude.dtype)
        return as_input_dtype(spectral_bandwidth(magnitude, freq, None, self.norm, self.p), y.dtype)


class SpectralRolloff(_LibrosaSpectralShape):
    """``librosa.feature.spectral_rolloff``: the lowest frequency below which
    ``roll_percent`` of each frame's magnitude lies, in Hz.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``n_fft`` 2048, ``hop_length``
    512, ``win_length``, ``window`` ``"hann"``, ``center`` True, ``pad_mode``
    ``"constant"``, ``roll_percent`` 0.85; device, dtype.

    Shapes: input ``(..., time)``; output ``(..., 1, frames)`` in Hz. Not differentiable
    (a threshold crossing).
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        roll_percent: float = 0.85,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(sr, n_fft, hop_length, win_length, window, center, pad_mode, device, dtype)
        self.roll_percent = check_number("roll_percent", roll_percent, above=0.0, below=1.0)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 1, frames)`` in Hz."""
        magnitude = self.magnitude(y, "SpectralRolloff")
        freq = self.freq.to(magnitude.dtype)
        return as_input_dtype(spectral_rolloff(magnitude, freq, self.roll_percent), y.dtype)


class SpectralFlatness(_LibrosaSpectralShape):
    """``librosa.feature.spectral_flatness``: geometric over arithmetic mean of
    ``max(amin, |X|**power)`` per frame, in [0, 1].

    Args (keyword-only, librosa's defaults): ``n_fft`` 2048, ``hop_length`` 512,
    ``win_length``, ``window`` ``"hann"``, ``center`` True, ``pad_mode`` ``"constant"``,
    ``amin`` 1e-10, ``power`` 2.0; device, dtype.

    Shapes: input ``(..., time)``; output ``(..., 1, frames)``.
    """

    def __init__(
        self,
        *,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        amin: float = 1e-10,
        power: float = 2.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            22050, n_fft, hop_length, win_length, window, center, pad_mode, device, dtype
        )
        self.amin = check_number("amin", amin, above=0.0)
        self.power = check_number("power", power, above=0.0)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 1, frames)``."""
        magnitude = self.magnitude(y, "SpectralFlatness")
        return as_input_dtype(spectral_flatness(magnitude, self.amin, self.power), y.dtype)


class SpectralContrast(_LibrosaSpectralShape):
    """``librosa.feature.spectral_contrast``: per octave band and frame, the mean of the
    ``quantile`` highest magnitudes against the mean of the lowest, in dB (peak over valley).

    The bands are ``[0, fmin]``, then octaves up to ``fmin * 2**n_bands``, the last one
    reaching the top bin. The dB conversion is ``power_to_db`` (ref 1, amin 1e-10, top_db 80)
    with the 80 dB floor below each item's own maximum, where librosa takes its whole array's:
    an item's contrast does not depend on the rest of its batch.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``n_fft`` 2048, ``hop_length``
    512, ``win_length``, ``window`` ``"hann"``, ``center`` True, ``pad_mode``
    ``"constant"``, ``fmin`` 200.0 Hz, ``n_bands`` 6, ``quantile`` 0.02 (in (0, 1)),
    ``linear`` False (True: ``peak - valley`` in magnitude); device, dtype.

    Shapes: input ``(..., time)``; output ``(..., n_bands + 1, frames)``.

    Raises:
        ValueError: when a band starts at or above ``sr / 2``, or holds too few FFT bins.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        fmin: float = 200.0,
        n_bands: int = 6,
        quantile: float = 0.02,
        linear: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(sr, n_fft, hop_length, win_length, window, center, pad_mode, device, dtype)
        self.fmin = check_number("fmin", fmin, above=0.0)
        self.n_bands = check_int("n_bands", n_bands, minimum=1)
        self.quantile = check_number("quantile", quantile, above=0.0, below=1.0)
        self.linear = check_bool("linear", linear)
        freq = torch.linspace(0, self.sr / 2, n_fft // 2 + 1, dtype=torch.float64)
        self.bands = contrast_bands(freq, self.sr, self.fmin, self.n_bands, self.quantile)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., n_bands + 1, frames)``."""
        magnitude = self.magnitude(y, "SpectralContrast")
        return as_input_dtype(band_contrast(magnitude, self.bands, self.linear), y.dtype)


class PolyFeatures(_LibrosaSpectralShape):
    """``librosa.feature.poly_features``: per frame, the coefficients of the polynomial of
    ``order`` in frequency (Hz) fitted to the STFT magnitude by least squares, highest power
    first (numpy's ``polyfit``), computed as one fixed matrix applied to the spectrogram.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``n_fft`` 2048, ``hop_length``
    512, ``win_length``, ``window`` ``"hann"``, ``center`` True, ``pad_mode``
    ``"constant"``, ``order`` 1 (>= 0); device, dtype.

    Shapes: input ``(..., time)``; output ``(..., order + 1, frames)``.
    """

    fit: Tensor

    def __init__(
        self,
        *,
        sr: float = 22050,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        order: int = 1,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(sr, n_fft, hop_length, win_length, window, center, pad_mode, device, dtype)
        self.order = check_int("order", order, minimum=0)
        freq = torch.linspace(0, self.sr / 2, n_fft // 2 + 1, dtype=torch.float64)
        self.register_exact_buffer(
            "fit",
            poly_fit_matrix(freq, self.order),
            dtype=check_dtype(dtype),
            device=check_device_arg(device),
            persistent=False,
        )

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., order + 1, frames)``."""
        magnitude = self.magnitude(y, "PolyFeatures")
        return as_input_dtype(torch.matmul(self.fit.to(magnitude.dtype), magnitude), y.dtype)
