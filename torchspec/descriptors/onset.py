"""Onset strength, the spectral-flux novelty curve beat trackers and onset detectors read,
and the tempograms computed from it (its local autocorrelation and its local spectrum)."""

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ..checks import (
    check_bool,
    check_choice,
    check_int,
    check_norm,
    check_number,
    check_waveform,
    compute_dtype,
    empty_batch,
)
from ..functional.filterbanks import LIBROSA_WINDOWS
from ..functional.onset import AGGREGATES, channel_bounds, onset_strength_multi, tempogram
from ..functional.spectral import as_input_dtype
from ..presets.librosa import LibrosaMelSpectrogram
from ..scaling import AmplitudeToDB
from ..spectrogram import Spectrogram
from ..tracing import scripting


class OnsetStrengthMulti(torch.nn.Module):
    """``librosa.onset.onset_strength_multi(y=...)``: the mean rise, in dB, of a mel
    spectrogram from one frame to the next, per channel (a range of mel bands) and frame
    (:func:`torchspec.functional.onset_strength_multi` on ``librosa.power_to_db`` of
    ``librosa.feature.melspectrogram``).

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``lag`` 1, ``max_size`` 1,
    ``detrend`` False, ``center`` True, ``aggregate`` ``"mean"`` (or ``"median"``,
    ``"max"``: librosa takes the numpy function), ``channels`` None (all bands in one
    channel) or the band boundaries (channel ``c`` is bands ``channels[c]`` to
    ``channels[c + 1]``), and the mel spectrogram's arguments as
    :class:`~torchspec.presets.LibrosaMelSpectrogram` takes them (``n_fft`` 2048,
    ``hop_length`` 512, ``n_mels`` 128, ``fmax`` ``sr / 2``, ...); device, dtype. The dB
    conversion is ``power_to_db``'s defaults (ref 1, amin 1e-10, top_db 80 below each
    item's own maximum: an item's envelope does not depend on the rest of its batch).

    Shapes: input ``(..., time)``; output ``(..., n_channels, frames)``.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        lag: int = 1,
        max_size: int = 1,
        detrend: bool = False,
        center: bool = True,
        aggregate: str = "mean",
        channels: Sequence[int] | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **mel: object,
    ) -> None:
        super().__init__()
        sr = check_number("sr", sr, above=0.0)
        self.lag = check_int("lag", lag, minimum=1)
        self.max_size = check_int("max_size", max_size, minimum=1)
        self.detrend = check_bool("detrend", detrend)
        self.center = check_bool("center", center)
        self.aggregate = check_choice("aggregate", aggregate, AGGREGATES)
        mel.setdefault("fmax", 0.5 * sr)
        self.n_fft = check_int("n_fft", mel.get("n_fft", 2048), minimum=2)
        self.hop_length = check_int("hop_length", mel.get("hop_length", 512), minimum=1)
        # librosa computes the mel spectrogram centred whatever `center` says (it only shifts)
        self.mel = LibrosaMelSpectrogram(sr=sr, device=device, dtype=dtype, **mel)
        self.to_db = AmplitudeToDB("power", 80.0)
        self.channels: list[int] | None = None
        if channels is not None:
            self.channels = [check_int("channels", c, minimum=0) for c in channels]
            channel_bounds(self.channels, int(mel.get("n_mels", 128)))  # type: ignore[call-overload]

    def envelopes(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., n_channels, frames)``."""
        return self.envelopes_of_mel(self.mel(y))

    def envelopes_of_mel(self, mel: Tensor) -> Tensor:
        """The envelopes of a whole clip's mel power spectrogram ``(..., n_mels, frames)``
        (``self.mel``'s output): its dB, floored 80 dB below each item's peak, then the
        rise. Returns ``(..., n_channels, frames)``."""
        S = self.to_db(mel)  # noqa: N806 - librosa's name
        return onset_strength_multi(
            S,
            self.lag,
            self.max_size,
            self.detrend,
            self.center,
            self.n_fft,
            self.hop_length,
            self.aggregate,
            self.channels,
        )

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., n_channels, frames)``."""
        if not scripting():
            check_waveform(y, "OnsetStrengthMulti")
        return self.envelopes(y)


class OnsetStrength(OnsetStrengthMulti):
    """``librosa.onset.onset_strength(y=...)``: :class:`OnsetStrengthMulti` with all mel
    bands in one channel, that channel's envelope.

    Args as :class:`OnsetStrengthMulti` without ``channels``.

    Shapes: input ``(..., time)``; output ``(..., frames)``.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        lag: int = 1,
        max_size: int = 1,
        detrend: bool = False,
        center: bool = True,
        aggregate: str = "mean",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **mel: object,
    ) -> None:
        super().__init__(
            sr=sr,
            lag=lag,
            max_size=max_size,
            detrend=detrend,
            center=center,
            aggregate=aggregate,
            device=device,
            dtype=dtype,
            **mel,  # type: ignore[arg-type]
        )

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., frames)``."""
        if not scripting():
            check_waveform(y, "OnsetStrength")
        return self.envelopes(y)[..., 0, :]


class Tempogram(torch.nn.Module):
    """``librosa.feature.tempogram(y=...)``: the autocorrelation of the onset envelope
    (:class:`OnsetStrength` with librosa's defaults and this ``hop_length``) over
    ``win_length`` frames around each frame, windowed, lag by lag, normalised per frame.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``hop_length`` 512,
    ``win_length`` 384 (frames of the envelope), ``center`` True, ``window`` ``"hann"`` (or
    ``"hamming"``, ``"blackman"``), ``norm`` inf (or a p-norm, or None); device, dtype;
    any other keyword goes to :class:`OnsetStrength` (``n_fft``, ``n_mels``, ``lag``, ...:
    librosa takes a precomputed ``onset_envelope`` for those).

    Shapes: input ``(..., time)``; output ``(..., win_length, frames)``: lag ``k`` frames
    (``k * hop_length / sr`` seconds) in row ``k``.
    """

    window: Tensor

    def __init__(
        self,
        *,
        sr: float = 22050,
        hop_length: int = 512,
        win_length: int = 384,
        center: bool = True,
        window: str = "hann",
        norm: float | None = math.inf,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **onset: object,
    ) -> None:
        super().__init__()
        self.win_length = check_int("win_length", win_length, minimum=2)
        self.center = check_bool("center", center)
        window = check_choice("window", window, tuple(LIBROSA_WINDOWS))
        self.norm = check_norm(norm)
        self.onset = OnsetStrength(
            sr=sr,
            hop_length=hop_length,
            device=device,
            dtype=dtype,
            **onset,  # type: ignore[arg-type]
        )
        made = LIBROSA_WINDOWS[window](self.win_length, dtype=torch.float64)
        self.register_buffer("window", made.to(dtype or torch.get_default_dtype()), False)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., win_length, frames)``."""
        if not scripting():
            check_waveform(y, "Tempogram")
            empty = empty_batch(y, 1, self.forward)
            if empty is not None:
                return empty
        envelope = self.onset(y.to(compute_dtype(y.dtype)))
        return as_input_dtype(self.of_envelope(envelope), y.dtype)

    def of_envelope(self, envelope: Tensor) -> Tensor:
        """The tempogram of an onset envelope ``(..., frames)`` (``self.onset``'s output).
        Returns ``(..., win_length, frames)``."""
        if not scripting() and not self.center and envelope.shape[-1] < self.win_length:
            raise ValueError(
                f"Tempogram(win_length={self.win_length}, center=False) needs at least "
                f"{self.win_length} envelope frames, got {envelope.shape[-1]}"
            )
        return tempogram(envelope, self.window, self.center, self.norm)


class FourierTempogram(torch.nn.Module):
    """``librosa.feature.fourier_tempogram(y=...)``: the STFT of the onset envelope
    (:class:`OnsetStrength`), ``win_length`` frames per window, hop 1, zero padding.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``hop_length`` 512,
    ``win_length`` 384, ``center`` True, ``window`` ``"hann"``; device, dtype; other
    keywords go to :class:`OnsetStrength`.

    Shapes: input ``(..., time)``; output complex ``(..., win_length // 2 + 1, frames)``:
    row ``k`` is ``k * sr / (hop_length * win_length)`` Hz of tempo (times 60 for BPM).
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        hop_length: int = 512,
        win_length: int = 384,
        center: bool = True,
        window: str = "hann",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **onset: object,
    ) -> None:
        super().__init__()
        window = check_choice("window", window, tuple(LIBROSA_WINDOWS))
        self.onset = OnsetStrength(
            sr=sr,
            hop_length=hop_length,
            device=device,
            dtype=dtype,
            **onset,  # type: ignore[arg-type]
        )
        self.stft = Spectrogram(
            check_int("win_length", win_length, minimum=2),
            hop_length=1,
            window_fn=LIBROSA_WINDOWS[window],
            power=None,
            center=check_bool("center", center),
            pad_mode="constant",
            device=device,
            dtype=dtype,
        )

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns complex ``(..., win_length // 2 + 1, frames)``."""
        if not scripting():
            check_waveform(y, "FourierTempogram")
        out: Tensor = self.stft(self.onset(y))
        return out
