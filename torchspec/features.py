"""The features ``torchspec extract`` and ``torchspec plot`` compute, by name, with every option.

A :class:`FeatureSpec` is plain data (``FeatureSpec(**spec.as_dict())`` round-trips, also from a
manifest record). :meth:`FeatureSpec.pipeline` splits the feature into a frame-local
``frontend`` (frame ``t`` reads only samples near ``t * hop_length``, so long files can be cut
into overlapping pieces and stitched exactly) and a ``finish`` applied to each whole clip (the
dB floor below a clip's peak, the log, the cepstrum).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import functional as TF
from .cepstrum import MFCC
from .checks import check_bool, check_int, check_number
from .cqt import CQT, VQT
from .descriptors import ChromaCQT, OnsetStrength, Tempogram
from .mel import MelSpectrogram
from .pcen import PCEN
from .presets import (
    ASTFbank,
    KaldiFbank,
    KaldiMFCC,
    LibrosaMelSpectrogram,
    LibrosaMFCC,
    WhisperLogMel,
)
from .spectrogram import Spectrogram

FEATURES = (
    "stft",
    "logstft",
    "mel",
    "mfcc",
    "cqt",
    "vqt",
    "chroma",
    "chroma-cqt",
    "onset",
    "tempogram",
)
MUSIC = ("chroma", "chroma-cqt", "onset", "tempogram")  # librosa's features, librosa's padding
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
PRESETS = (
    "whisper",
    "whisper-128",
    "kaldi-fbank",
    "kaldi-mfcc",
    "ast",
    "librosa-mel",
    "librosa-mfcc",
)
SCALES = ("linear", "db", "log")
LOG_PRESETS = ("whisper", "whisper-128", "kaldi-fbank", "ast")  # log features already
WINDOWS: dict[str, Callable[..., Tensor]] = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
    "rectangular": lambda n, **kw: torch.ones(n, **kw),
}


@dataclass(frozen=True)
class FeatureSpec:
    """A feature and its parameters; ``None`` means the feature's own default.

    ``stft`` and ``logstft`` are ``|STFT| ** power``, ``mel`` a mel spectrogram of that,
    ``mfcc`` MFCCs (dB mel with an 80 dB floor, DCT-II), ``cqt`` and ``vqt`` ``|C| ** power``
    (magnitude by default). ``scale`` turns the result into decibels (``"db"``: power_to_db with
    ``ref`` each clip's peak and ``top_db``) or a natural log of ``x + log_offset``. ``pcen``
    (``mel`` and ``librosa-mel`` only, linear scale) applies :class:`~torchspec.PCEN` with
    librosa.pcen's defaults at the spec's rate and hop to each whole clip's mel spectrogram.

    librosa's music features, each computed per clip as librosa computes it for one file
    (its defaults; ``pad_mode`` constant): ``chroma`` (``feature.chroma_stft`` of the power
    STFT, tuning estimated per clip and channel), ``chroma-cqt`` (``feature.chroma_cqt``: 36
    bins per octave, 7 octaves from ``f_min`` or C1, tuning estimated per clip; each clip
    computed whole, never cut into pieces), ``onset`` (``onset.onset_strength`` of librosa's
    mel spectrogram with this ``n_fft``, ``hop_length``, ``window``, ``n_mels``, ``f_min``,
    ``f_max``: one row) and ``tempogram`` (``feature.tempogram`` of that envelope, 384 lags).
    ``deltas`` (any feature) appends Kaldi's ``add-deltas`` of orders 1 .. ``deltas``
    (window 2) below the feature's rows.
    """

    feature: str = "mel"
    sample_rate: int = 22050
    n_fft: int = 2048
    win_length: int | None = None
    hop_length: int = 512
    window: str = "hann"
    center: bool = True
    pad_mode: str | None = None  # "reflect" for STFT features, "constant" for cqt/vqt
    power: float | None = None  # 2.0 for STFT features, 1.0 for cqt/vqt
    n_mels: int = 128
    mel_scale: str = "htk"
    norm: str | None = None
    n_mfcc: int = 20
    f_min: float | None = None
    f_max: float | None = None
    n_bins: int | None = None
    bins_per_octave: int = 12
    scale: str = "linear"
    top_db: float | None = 80.0
    log_offset: float = 1e-6
    pcen: bool = False
    deltas: int = 0

    def __post_init__(self) -> None:
        if self.feature not in FEATURES + PRESETS:
            raise ValueError(
                f"feature must be one of {', '.join(FEATURES + PRESETS)}; got {self.feature!r}"
            )
        if self.feature.startswith("whisper") and self.sample_rate != 16000:
            raise ValueError(f"the whisper presets need sample_rate 16000, got {self.sample_rate}")
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {self.scale!r}")
        if self.window not in WINDOWS:
            raise ValueError(f"window must be one of {', '.join(WINDOWS)}; got {self.window!r}")
        if self.feature in LOG_PRESETS and self.scale != "linear":
            raise ValueError(
                f"the {self.feature} preset is already logarithmic (its reference's own log "
                "features): --db / --log do not apply"
            )
        if self.feature in ("mfcc", "kaldi-mfcc", "librosa-mfcc") and self.scale != "linear":
            raise ValueError("mfcc is already a cepstrum of dB: --db / --log do not apply")
        check_bool("center", self.center)
        check_bool("pcen", self.pcen)
        if self.pcen and (self.feature not in ("mel", "librosa-mel") or self.scale != "linear"):
            raise ValueError(
                "pcen normalises a mel spectrogram: it needs feature mel or librosa-mel and "
                f"no --db / --log; got feature {self.feature!r}, scale {self.scale!r}"
            )
        if self.feature in MUSIC and self.scale != "linear":
            raise ValueError(
                f"{self.feature} is librosa's feature as it is (normalised per frame, or a dB "
                "rise): --db / --log do not apply"
            )
        if self.feature in ("onset", "tempogram") and not self.center:
            raise ValueError(
                f"{self.feature} follows librosa's onset strength, computed on centred frames: "
                "drop --no-center"
            )
        check_int("deltas", self.deltas, minimum=0)
        check_number("log_offset", self.log_offset, above=0)
        if self.top_db is not None:
            check_number("top_db", self.top_db, at_least=0)

    @classmethod
    def preset(cls, name: str, *, sample_rate: int | None = None) -> FeatureSpec:
        """The spec of a preset (:mod:`torchspec.presets`): its sizes fixed, as the reference's.

        Whisper is 16 kHz only; Kaldi defaults to 16 kHz and librosa to 22.05 kHz, and both
        follow ``sample_rate`` when it is given (Kaldi's ``sample_frequency``, librosa's ``sr``).
        """
        if name not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
        if name.startswith("whisper"):
            return cls(
                name,
                sample_rate or 16000,
                n_fft=400,
                hop_length=160,
                n_mels=128 if name.endswith("128") else 80,
                mel_scale="slaney",
                norm="slaney",
            )
        if name.startswith("kaldi") or name == "ast":
            rate = sample_rate or 16000
            size, shift = int(rate * 0.025), int(rate * 0.010)
            mels = 128 if name == "ast" else 23
            return cls(
                name, rate, n_fft=size, hop_length=shift, center=False, n_mels=mels, n_mfcc=13
            )
        return cls(
            name,
            sample_rate or 22050,
            n_fft=2048,
            hop_length=512,
            pad_mode="constant",
            n_mels=128,
            mel_scale="slaney",
            norm="slaney",
            n_mfcc=20,
        )

    @classmethod
    def from_dict(cls, params: dict[str, object]) -> FeatureSpec:
        """The spec recorded in a manifest (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in params.items() if k in names})  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def is_cqt(self) -> bool:
        return self.feature in ("cqt", "vqt")

    def resolved_power(self) -> float:
        if self.power is not None:
            return float(self.power)
        return 1.0 if self.is_cqt else 2.0

    def resolved_pad_mode(self) -> str:
        if self.pad_mode is not None:
            return self.pad_mode
        if self.is_cqt or self.feature in MUSIC:
            return "constant"
        return "reflect"  # presets set theirs

    def build(self) -> nn.Module:
        """The whole feature as one layer, on the CPU in float32: ``(..., time)`` ->
        ``(..., rows, frames)``, what extract stores for a clip (the dB, log or PCEN step
        included, each clip on its own)."""
        return Whole(self.pipeline())

    def pipeline(self) -> Pipeline:
        """The feature as frontend + finish; see :class:`Pipeline`. With ``deltas``, the
        finish appends Kaldi's deltas of the finished feature."""
        pipeline = self._pipeline()
        if self.deltas:
            order, finish = self.deltas, pipeline.finish

            def with_deltas(x: Tensor) -> Tensor:
                return TF.add_deltas(finish(x), order, 2)

            pipeline.finish = with_deltas
        return pipeline

    def _pipeline(self) -> Pipeline:
        if self.feature in MUSIC:
            return self._music()
        frontend = self._frontend()
        finish: Callable[[Tensor], Tensor]
        if isinstance(frontend, WhisperLogMel):
            return Pipeline(self, _Method(frontend, "log_mel"), frontend.normalise, frontend)
        if isinstance(frontend, KaldiFbank):  # (..., frames, bins) -> (..., bins, frames)
            return Pipeline(self, _Method(frontend, transpose=True), _same, frontend)
        if isinstance(frontend, ASTFbank):  # Kaldi fbank by pieces; padding and statistics last
            ast = frontend

            def pad_and_normalise(fbank: Tensor) -> Tensor:
                return ast.normalise(fbank.transpose(-1, -2)).transpose(-1, -2)

            return Pipeline(self, _Method(ast.fbank, transpose=True), pad_and_normalise, ast.fbank)
        if isinstance(frontend, MFCC):
            assert isinstance(frontend, MFCC)
            mfcc = frontend

            def cepstrum(mel: Tensor) -> Tensor:
                return mfcc.cepstrum(mel, log=mfcc.log_mels)

            return Pipeline(self, mfcc.MelSpectrogram, cepstrum, mfcc.MelSpectrogram)
        if self.pcen:
            return Pipeline(
                self,
                frontend,
                PCEN(sample_rate=self.sample_rate, hop_length=self.hop_length),
                frontend,
            )
        if self.scale == "db":
            multiplier = 10.0 if self.resolved_power() == 2.0 else 20.0
            top_db = self.top_db

            def finish(x: Tensor) -> Tensor:
                return TF.amplitude_to_db(x, multiplier=multiplier, ref="max", top_db=top_db)

        elif self.scale == "log":
            offset = self.log_offset

            def finish(x: Tensor) -> Tensor:
                return torch.log(x + offset)

        else:
            finish = _same
        return Pipeline(self, frontend, finish, frontend)

    def _music(self) -> Pipeline:
        """librosa's chroma, onset strength and tempogram: a frame-local STFT or mel frontend
        and the rest on each whole clip (the tuning, the dB floor and the tempogram's window
        read the whole clip), or for chroma-cqt the whole layer on each clip."""
        sr, n_fft, hop = self.sample_rate, self.n_fft, self.hop_length
        if self.feature == "chroma-cqt":
            layer = ChromaCQT(sr=sr, hop_length=hop, fmin=self.f_min)
            pipeline = Pipeline(self, layer, _same, layer)
            pipeline.batchable = False  # the transform follows each clip's tuning
            return pipeline
        if self.feature == "chroma":
            stft = Spectrogram(
                n_fft,
                self.win_length,
                hop,
                window_fn=WINDOWS[self.window],
                power=2.0,
                center=self.center,
                pad_mode=self.resolved_pad_mode(),
            )

            def chroma(power: Tensor) -> Tensor:
                return TF.chroma_stft(power, sr, n_fft)

            return Pipeline(self, stft, chroma, stft)
        mel = {
            "n_fft": n_fft,
            "hop_length": hop,
            "win_length": self.win_length,
            "window": self.window,
            "n_mels": self.n_mels,
            "fmin": self.f_min or 0.0,
            "fmax": self.f_max,
        }
        onset = OnsetStrength(sr=sr, **mel)  # type: ignore[arg-type]
        if self.feature == "onset":

            def envelope(power: Tensor) -> Tensor:
                return onset.envelopes_of_mel(power)

            return Pipeline(self, onset.mel, envelope, onset.mel)
        # librosa's tempogram(y=...) takes the onset envelope's defaults but for the hop; its
        # win_length is the tempogram's (384 frames), not the STFT's
        tempo = Tempogram(
            sr=sr,
            hop_length=hop,
            **{k: v for k, v in mel.items() if k not in ("hop_length", "win_length")},  # type: ignore[arg-type]
        )

        def lags(power: Tensor) -> Tensor:
            return tempo.of_envelope(tempo.onset.envelopes_of_mel(power)[..., 0, :])

        return Pipeline(self, tempo.onset.mel, lags, tempo.onset.mel)

    def _frontend(self) -> nn.Module:
        sr, hop, power = self.sample_rate, self.hop_length, self.resolved_power()
        if self.feature.startswith("whisper"):
            return WhisperLogMel(self.n_mels)
        if self.feature == "kaldi-fbank":
            return KaldiFbank(sample_frequency=sr)
        if self.feature == "kaldi-mfcc":
            return KaldiMFCC(sample_frequency=sr)
        if self.feature == "ast":
            return ASTFbank(sampling_rate=sr)
        if self.feature == "librosa-mel":
            return LibrosaMelSpectrogram(sr=sr)
        if self.feature == "librosa-mfcc":
            return LibrosaMFCC(sr=sr)
        if self.is_cqt:
            cqt: dict[str, object] = {
                "bins_per_octave": self.bins_per_octave,
                "center": self.center,
                "pad_mode": self.resolved_pad_mode(),
                "power": power,
            }
            if self.f_min is not None:
                cqt["f_min"] = self.f_min
            if self.n_bins is not None:
                cqt["n_bins"] = self.n_bins
            return (CQT if self.feature == "cqt" else VQT)(sr, hop, **cqt)  # type: ignore[arg-type]
        stft = {
            "win_length": self.win_length,
            "hop_length": hop,
            "window_fn": WINDOWS[self.window],
            "power": power,
            "center": self.center,
            "pad_mode": self.resolved_pad_mode(),
        }
        if self.feature == "stft":
            return Spectrogram(self.n_fft, **stft, sample_rate=sr)  # type: ignore[arg-type]
        if self.feature == "logstft":
            return Spectrogram(
                self.n_fft,
                **stft,  # type: ignore[arg-type]
                freq_scale="log",
                f_min=self.f_min,
                f_max=self.f_max,
                n_bins=self.n_bins,
                sample_rate=sr,
            )
        mel = {
            **stft,
            "n_fft": self.n_fft,
            "n_mels": self.n_mels,
            "f_min": self.f_min or 0.0,
            "f_max": self.f_max,
            "norm": self.norm,
            "mel_scale": self.mel_scale,
        }
        if self.feature == "mel":
            return MelSpectrogram(sr, **mel)  # type: ignore[arg-type]
        return MFCC(sr, self.n_mfcc, melkwargs=mel)


def _same(x: Tensor) -> Tensor:
    return x


class Whole(nn.Module):
    """A :class:`Pipeline` as one layer: ``finish(frontend(x))``."""

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__()
        self.frontend, self.pipeline = pipeline.frontend, pipeline

    def forward(self, x: Tensor) -> Tensor:
        """Args: x ``(..., time)``. Returns the stored feature ``(..., rows, frames)``."""
        return self.pipeline.finish(self.frontend(x))


class _Method(nn.Module):
    """A layer's method as a module (``.to()`` moves the layer), its output optionally with the
    last two dims swapped."""

    def __init__(self, layer: nn.Module, method: str = "forward", *, transpose: bool = False):
        super().__init__()
        self.layer, self.method, self.transpose = layer, method, transpose

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = getattr(self.layer, self.method)(x)
        return out.transpose(-1, -2) if self.transpose else out


class Pipeline:
    """A feature as a frame-local ``frontend`` and a per-clip ``finish``.

    Attributes:
        spec: the :class:`FeatureSpec`.
        frontend: ``(..., time)`` -> ``(..., rows, frames)``; a frame reads the samples within
            ``context`` of its centre (``t * hop_length`` when centred) and nothing else.
        finish: ``(..., rows, frames)`` of one whole clip -> the feature.
        rows_of: the layer whose ``frequencies`` label the rows.
    """

    batchable = True  # frame-local: clips share batches and long clips are cut into pieces

    def __init__(
        self,
        spec: FeatureSpec,
        frontend: nn.Module,
        finish: Callable[[Tensor], Tensor],
        rows_of: nn.Module,
    ) -> None:
        self.spec, self.frontend, self.finish, self.rows_of = spec, frontend, finish, rows_of
        self.hop = spec.hop_length
        self.sample_rate = spec.sample_rate
        self.label = spec.feature
        if isinstance(frontend, VQT):
            self.cqt: VQT | None = frontend
            self.context, self.span = frontend.context, 2 * frontend.reach
            self.centre = 0 if spec.center else frontend.reach
        else:
            self.cqt = None
            self.context, self.span = spec.n_fft // 2 + 1, spec.n_fft
            self.centre = 0 if spec.center else spec.n_fft // 2

    def n_frames(self, samples: int) -> int:
        """Frames for a clip of ``samples`` samples (0 when it is too short for one)."""
        if self.spec.center:
            return 1 + samples // self.hop
        return max(0, 1 + (samples - self.span) // self.hop)

    def min_samples(self) -> int:
        """The shortest clip the frontend accepts."""
        if not self.spec.center:
            return self.span
        if self.spec.resolved_pad_mode() in ("reflect", "circular"):
            return self.span // 2 + 1
        return 1

    def pieces(self, samples: int, max_samples: int) -> list[tuple[int, int, int, int]]:
        """Cut a clip into pieces whose frontend outputs stitch exactly.

        Returns ``(start, end, skip, count)`` per piece: run the frontend on
        ``clip[start:end]`` as a clip of its own, drop its first ``skip`` frames and keep the
        next ``count``. Only the last piece ends at the clip's end (and is padded as the clip
        is); every frame kept from a piece reads real samples of the clip only, or the clip's
        own start padding.
        """
        total = self.n_frames(samples)
        margin = -(-self.context // self.hop)  # frames of context on each side
        per_piece = max(1, max_samples // self.hop - 2 * margin)
        if total <= per_piece:
            return [(0, samples, 0, total)]
        out = []
        for f0 in range(0, total, per_piece):
            f1 = min(total, f0 + per_piece)
            if self.spec.center:
                skip = min(f0, margin)
                start = (f0 - skip) * self.hop
                end = (f1 - 1 + margin) * self.hop + 1
            else:
                skip, start = 0, f0 * self.hop
                end = (f1 - 1) * self.hop + self.span + (self.context - self.span // 2)
            end = samples if f1 == total else min(samples, end)
            out.append((start, end, skip, f1 - f0))
        return out

    def split(self, clip: Tensor, max_samples: int) -> list[tuple[Tensor, int, int]]:
        """``clip`` (``(channels, time)``) as :meth:`pieces`: ``(segment, skip, count)`` each,
        the last segment extended as the frontend pads the clip's end (so zero-padding it in a
        batch changes none of its kept frames)."""
        pad_mode = self.spec.resolved_pad_mode()
        extend = 0 if pad_mode == "constant" or not self.spec.center else self.span // 2
        samples = clip.shape[-1]
        if samples < self.min_samples():
            raise ValueError(
                f"{samples} samples is too short for this feature (it needs at least "
                f"{self.min_samples()})"
            )
        out = []
        for start, end, skip, count in self.pieces(samples, max_samples):
            segment = clip[..., start:end]
            if end == samples and extend:
                segment = F.pad(segment.unsqueeze(0), (0, extend), mode=pad_mode)[0]
            out.append((segment, skip, count))
        return out

    def params(self) -> dict[str, object]:
        """What the manifest records as the feature's parameters."""
        return self.spec.as_dict()

    def frame_times(self) -> tuple[float, float]:
        """``(offset, step)`` in seconds: frame ``t`` is centred at ``offset + t * step``."""
        return self.centre / self.spec.sample_rate, self.hop / self.spec.sample_rate

    def drawn_as(self) -> str | None:
        """The colour-bar label of a feature drawn as it is (log, normalised, coefficients),
        or None for a linear one (power or magnitude: drawn in dB re its peak)."""
        spec = self.spec
        named = {
            "whisper": "Whisper's log-mel: (log10 + 4) / 4, floored 8 below the peak",
            "whisper-128": "Whisper's log-mel: (log10 + 4) / 4, floored 8 below the peak",
            "kaldi-fbank": "log mel energy (natural log, Kaldi)",
            "kaldi-mfcc": "cepstral coefficient value (Kaldi)",
            "ast": "AST's normalised log mel: (fbank - mean) / (2 std)",
            "mfcc": "cepstral coefficient value",
            "librosa-mfcc": "cepstral coefficient value",
        }
        if spec.deltas:
            return f"feature value, then its deltas of order 1 .. {spec.deltas}"
        music = {
            "chroma": "chroma: energy per pitch class / the frame's largest",
            "chroma-cqt": "chroma: energy per pitch class / the frame's largest",
            "onset": "onset strength: mean rise in dB of the mel bands",
            "tempogram": "autocorrelation of the onset strength / the frame's largest",
        }
        if spec.feature in music:
            return music[spec.feature]
        if spec.feature in named:
            return named[spec.feature]
        if spec.pcen:
            return "PCEN"
        if spec.scale == "db":
            return f"dB re each clip's peak (top_db {spec.top_db:g})" if spec.top_db else "dB"
        if spec.scale == "log":
            return f"ln(x + {spec.log_offset:g})"
        return None

    def rows(self) -> dict[str, object]:
        """What each output row is: centre frequencies in Hz, or cepstral coefficients."""
        out = self._rows()
        if self.spec.deltas:
            out["deltas"] = (
                f"the rows above, then their deltas of order 1 .. {self.spec.deltas} in that "
                "order (Kaldi's add-deltas, window 2)"
            )
        return out

    def _rows(self) -> dict[str, object]:
        feature = self.spec.feature
        if feature in ("chroma", "chroma-cqt"):
            return {
                "rows": "pitch classes",
                "rows_label": "pitch class (0 = C)",
                "pitch_classes": list(PITCH_CLASSES),
            }
        if feature == "onset":
            return {"rows": "one: the onset strength of each frame", "rows_label": "onset"}
        if feature == "tempogram":
            step = self.hop / self.sample_rate
            return {
                "rows": f"lag k frames (k * {step:g} s), k = 0 .. 383",
                "rows_label": "lag (frames)",
            }
        frequencies = getattr(self.rows_of, "frequencies", None)
        hz = [float(f) for f in frequencies] if isinstance(frequencies, Tensor) else None
        if feature in ("mfcc", "librosa-mfcc", "kaldi-mfcc"):
            return {
                "rows": "cepstral coefficients 0 .. n_mfcc - 1 (DCT-II of dB mel bands)",
                "mel_band_centres_hz": hz,
            }
        return {"rows": "centre frequency of each row in Hz", "row_frequencies_hz": hz}


def recompute(record: dict[str, Any]) -> Tensor:
    """The feature a manifest record describes, computed again from its source file: equal to
    the stored array (up to the stored dtype's rounding). ``(channels, rows, frames)``.

    The source is decoded as extract decodes it, at the recorded rate; a record whose array
    has one channel for a multi-channel source was extracted with ``--mono``.
    """
    from .audio import load

    spec = FeatureSpec.from_dict(record["params"])
    waveform, _ = load(record["source"], sample_rate=spec.sample_rate)
    channels = record.get("shape", [waveform.shape[0]])[0]
    if channels == 1 and waveform.shape[0] > 1:
        waveform = waveform.mean(dim=0, keepdim=True)
    with torch.no_grad():
        out: Tensor = spec.build()(waveform)
    return out
