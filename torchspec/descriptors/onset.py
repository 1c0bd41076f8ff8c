"""Onset strength: the spectral-flux novelty curve beat trackers and onset detectors read."""

import torch
from torch import Tensor

from ..checks import check_bool, check_choice, check_int, check_number, check_waveform
from ..functional.onset import AGGREGATES, onset_strength
from ..presets import LibrosaMelSpectrogram
from ..scaling import AmplitudeToDB
from ..tracing import scripting


class OnsetStrength(torch.nn.Module):
    """``librosa.onset.onset_strength(y=...)``: the mean rise, in dB, of a mel spectrogram
    from one frame to the next, per frame (:func:`torchspec.functional.onset_strength` on
    ``librosa.power_to_db`` of ``librosa.feature.melspectrogram``).

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``lag`` 1, ``max_size`` 1,
    ``detrend`` False, ``center`` True, ``aggregate`` ``"mean"`` (or ``"median"``,
    ``"max"``: librosa takes the numpy function), and the mel spectrogram's arguments as
    :class:`~torchspec.presets.LibrosaMelSpectrogram` takes them (``n_fft`` 2048,
    ``hop_length`` 512, ``n_mels`` 128, ``fmax`` ``sr / 2``, ...); device, dtype. The dB
    conversion is ``power_to_db``'s defaults (ref 1, amin 1e-10, top_db 80 below each
    item's own maximum: an item's envelope does not depend on the rest of its batch).

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

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., frames)``."""
        if not scripting():
            check_waveform(y, "OnsetStrength")
        S = self.to_db(self.mel(y))  # noqa: N806 - librosa's name
        return onset_strength(
            S,
            self.lag,
            self.max_size,
            self.detrend,
            self.center,
            self.n_fft,
            self.hop_length,
            self.aggregate,
        )
