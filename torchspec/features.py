"""The features ``torchspec extract`` and ``torchspec plot`` compute, by name."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import nn

from .cepstrum import MFCC
from .cqt import CQT, VQT
from .mel import MelSpectrogram
from .spectrogram import Spectrogram

FEATURES = ("stft", "logstft", "mel", "mfcc", "cqt", "vqt")


@dataclass(frozen=True)
class FeatureSpec:
    """A feature and its parameters (``None``: the feature's own default).

    ``stft`` and ``logstft`` are power spectrograms, ``mel`` a power mel spectrogram, ``mfcc``
    MFCCs (dB mel, DCT-II), ``cqt`` and ``vqt`` magnitudes. All frames are centred:
    ``1 + samples // hop_length`` of them.
    """

    feature: str = "mel"
    sample_rate: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    n_mfcc: int = 20
    f_min: float | None = None
    f_max: float | None = None
    n_bins: int | None = None
    bins_per_octave: int = 12

    def __post_init__(self) -> None:
        if self.feature not in FEATURES:
            raise ValueError(f"feature must be one of {', '.join(FEATURES)}; got {self.feature!r}")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def build(self) -> nn.Module:
        """The layer, on the CPU in float32."""
        sr, hop = self.sample_rate, self.hop_length
        if self.feature == "stft":
            return Spectrogram(self.n_fft, hop_length=hop, sample_rate=sr)
        if self.feature == "logstft":
            return Spectrogram(
                self.n_fft,
                hop_length=hop,
                freq_scale="log",
                f_min=self.f_min,
                f_max=self.f_max,
                n_bins=self.n_bins,
                sample_rate=sr,
            )
        mel = {"n_fft": self.n_fft, "hop_length": hop, "n_mels": self.n_mels}
        mel.update({"f_min": self.f_min or 0.0, "f_max": self.f_max})
        if self.feature == "mel":
            return MelSpectrogram(sr, **mel)
        if self.feature == "mfcc":
            return MFCC(sr, self.n_mfcc, melkwargs=mel)
        cqt = {"sample_rate": sr, "hop_length": hop, "bins_per_octave": self.bins_per_octave}
        if self.f_min is not None:
            cqt["f_min"] = self.f_min
        if self.n_bins is not None:
            cqt["n_bins"] = self.n_bins
        return (CQT if self.feature == "cqt" else VQT)(**cqt, power=1.0)

    def right_reach(self) -> tuple[int, str]:
        """Samples past a clip's end that its last frame reads, and how the layer fills them
        (``"reflect"``, or ``"constant"`` for zeros)."""
        if self.feature in ("cqt", "vqt"):
            return 0, "constant"
        return self.n_fft // 2, "reflect"

    def n_frames(self, samples: int) -> int:
        return 1 + samples // self.hop_length
