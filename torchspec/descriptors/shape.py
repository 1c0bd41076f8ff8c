"""Spectral shape descriptors: where a frame's energy sits, how spread and how flat it is,
and its level. ``SpectralCentroid`` is torchaudio's drop-in; the others take librosa's
parameter names and defaults (``librosa.feature.spectral_bandwidth``, ``spectral_rolloff``,
``spectral_flatness``, ``rms``, ``zero_crossing_rate``)."""

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
    rms,
    spectral_bandwidth,
    spectral_centroid_of,
    spectral_flatness,
    spectral_rolloff,
    zero_crossing_rate,
)
from ..functional.filterbanks import make_window
from ..functional.spectral import as_input_dtype, spectrogram
from ..presets import LIBROSA_WINDOWS
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


def _frames(y: Tensor, frame_length: int, hop_length: int, pad: str | None) -> Tensor:
    """``(..., time)`` cut into ``(..., frame_length, frames)`` (librosa's ``util.frame``),
    after padding ``frame_length // 2`` on both sides with ``pad`` (torch's mode name) unless
    None."""
    if pad is not None:
        reach = frame_length // 2
        lead = y.shape[:-1]
        flat = y.reshape(-1, 1, y.shape[-1])
        if pad == "constant":
            flat = torch.nn.functional.pad(flat, (reach, reach))
        else:
            flat = torch.nn.functional.pad(flat, (reach, reach), mode=pad)
        y = flat.reshape(lead + (flat.shape[-1],))
    return y.unfold(-1, frame_length, hop_length).transpose(-1, -2)


def _check_frames(
    y: Tensor, frame_length: int, center: bool, name: str, pad_mode: str = "constant"
) -> None:
    reach = frame_length // 2
    if center and pad_mode in ("reflect", "circular") and y.shape[-1] <= reach:
        raise ValueError(
            f"{name}(pad_mode='{pad_mode}') pads {reach} samples on each side and needs more "
            f"than {reach} samples to do so, got {y.shape[-1]} (shape {tuple(y.shape)}); use "
            "pad_mode='constant'"
        )
    padded = y.shape[-1] + (2 * reach if center else 0)
    if padded < frame_length:
        raise ValueError(
            f"{name}(frame_length={frame_length}) needs at least {frame_length} samples"
            f"{' after centring' if center else ''}, got {y.shape[-1]} (shape "
            f"{tuple(y.shape)})"
        )


class RMS(torch.nn.Module):
    """``librosa.feature.rms(y=...)``: the root-mean-square of each frame of samples.

    Args (keyword-only, librosa's defaults): ``frame_length`` 2048, ``hop_length`` 512,
    ``center`` True (pad ``frame_length // 2`` on both sides), ``pad_mode`` ``"constant"``
    (or ``"reflect"``, ``"replicate"``: librosa's ``"edge"``, ``"circular"``: ``"wrap"``).

    Shapes: input ``(..., time)``; output ``(..., 1, frames)``.
    """

    def __init__(
        self,
        *,
        frame_length: int = 2048,
        hop_length: int = 512,
        center: bool = True,
        pad_mode: str = "constant",
    ) -> None:
        super().__init__()
        self.frame_length = check_int("frame_length", frame_length, minimum=1)
        self.hop_length = check_int("hop_length", hop_length, minimum=1)
        self.center = check_bool("center", center)
        self.pad_mode = check_choice(
            "pad_mode",
            PAD_ALIASES.get(pad_mode, pad_mode),
            ("constant", "reflect", "replicate", "circular"),
        )

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 1, frames)``."""
        if not scripting():
            check_waveform(y, "RMS")
            _check_frames(y, self.frame_length, self.center, "RMS", self.pad_mode)
        pad: str | None = self.pad_mode if self.center else None
        x = y.to(compute_dtype(y.dtype))
        return as_input_dtype(rms(_frames(x, self.frame_length, self.hop_length, pad)), y.dtype)


class ZeroCrossingRate(torch.nn.Module):
    """``librosa.feature.zero_crossing_rate``: the fraction of each frame's samples where the
    sign changes (``|x| <= threshold`` counts as 0, and 0 as positive).

    Args (keyword-only, librosa's defaults): ``frame_length`` 2048, ``hop_length`` 512,
    ``center`` True (pad ``frame_length // 2`` on both sides by repeating the edge samples,
    as librosa does), ``threshold`` 1e-10.

    Shapes: input ``(..., time)``; output ``(..., 1, frames)`` in [0, 1]. Not
    differentiable (a count).
    """

    def __init__(
        self,
        *,
        frame_length: int = 2048,
        hop_length: int = 512,
        center: bool = True,
        threshold: float = 1e-10,
    ) -> None:
        super().__init__()
        self.frame_length = check_int("frame_length", frame_length, minimum=2)
        self.hop_length = check_int("hop_length", hop_length, minimum=1)
        self.center = check_bool("center", center)
        self.threshold = check_number("threshold", threshold, at_least=0.0)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 1, frames)``."""
        if not scripting():
            check_waveform(y, "ZeroCrossingRate")
            _check_frames(y, self.frame_length, self.center, "ZeroCrossingRate")
        pad: str | None = "replicate" if self.center else None
        frames = _frames(y, self.frame_length, self.hop_length, pad)
        return zero_crossing_rate(frames, self.threshold)


PAD_ALIASES = {"edge": "replicate", "wrap": "circular"}
