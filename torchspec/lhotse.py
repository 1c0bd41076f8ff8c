"""Lhotse feature extractors computed by torchspec (``pip install 'torchspec[lhotse]'``).

``TorchspecFbank`` and ``TorchspecMfcc`` are Kaldi's log mel filterbank and MFCCs
(:class:`~torchspec.presets.KaldiFbank`, :class:`~torchspec.presets.KaldiMFCC`) with Lhotse's
own ``Fbank``/``Mfcc`` defaults (80 / 23 bands, ``snip_edges=False``, no dither, audio as
Lhotse loads it, in ``[-1, 1]``); ``TorchspecMel`` is a natural-log
:class:`~torchspec.MelSpectrogram`. They are registered with Lhotse under the names
``torchspec-fbank``, ``torchspec-mfcc`` and ``torchspec-mel``, so manifests that name them load
back, and their ``extract_batch`` computes a whole batch of cuts of any lengths in one call on
``config.device``, each cut's frames equal to computing it alone::

    from lhotse import CutSet
    from torchspec.lhotse import TorchspecFbank, TorchspecFbankConfig

    cuts = cuts.compute_and_store_features_batch(
        extractor=TorchspecFbank(TorchspecFbankConfig(device="cuda")),
        storage_path="feats/",
    )

Outputs are ``(frames, bins)`` arrays, as every Lhotse extractor's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .mel import MelSpectrogram
from .presets import KaldiFbank, KaldiMFCC

try:
    from lhotse.features.base import FeatureExtractor, register_extractor
except ImportError as exc:
    raise ImportError("torchspec.lhotse needs Lhotse: pip install 'torchspec[lhotse]'") from exc


@dataclass
class TorchspecFbankConfig:
    """Lhotse ``FbankConfig``'s options and defaults (times in seconds, ``high_freq <= 0``
    counted below Nyquist, ``energy_floor`` as energy), computed by :class:`KaldiFbank`."""

    sampling_rate: int = 16000
    frame_length: float = 0.025
    frame_shift: float = 0.01
    round_to_power_of_two: bool = True
    remove_dc_offset: bool = True
    preemph_coeff: float = 0.97
    window_type: str = "povey"
    dither: float = 0.0
    snip_edges: bool = False
    energy_floor: float = 1e-10
    raw_energy: bool = True
    use_energy: bool = False
    low_freq: float = 20.0
    high_freq: float = -400.0
    num_filters: int = 80
    device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TorchspecFbankConfig:
        return cls(**data)


@dataclass
class TorchspecMfccConfig(TorchspecFbankConfig):
    """Lhotse ``MfccConfig``'s options and defaults, computed by :class:`KaldiMFCC`."""

    num_filters: int = 23
    num_ceps: int = 13
    cepstral_lifter: float = 22.0


@dataclass
class TorchspecMelConfig:
    """A natural-log mel spectrogram, ``log(mel + log_offset)`` (torchaudio's
    ``MelSpectrogram`` options; frames centred at ``t * hop``, ``1 + samples // hop`` of them).
    """

    sampling_rate: int = 16000
    n_fft: int = 400
    frame_shift: float = 0.01
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float | None = None
    mel_scale: str = "htk"
    norm: str | None = None
    log_offset: float = 1e-6
    device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TorchspecMelConfig:
        return cls(**data)


class _Batched(FeatureExtractor):  # type: ignore[misc]
    """What the three extractors share: the layer on ``config.device``, ``(frames, bins)``
    output, batches of any lengths."""

    layer: nn.Module
    edge = 0  # samples a cut needs past its end, added as the layer would see them alone

    @property
    def device(self) -> str:
        return str(self.config.device)

    @property
    def frame_shift(self) -> float:
        return float(self.config.frame_shift)

    def to(self, device: str) -> None:
        self.config.device = device
        self.layer.to(device)

    def _frames(self, audio: Tensor) -> Tensor:
        """``(batch, time)`` -> ``(batch, frames, bins)``."""
        raise NotImplementedError

    def _check_rate(self, sampling_rate: int) -> None:
        if sampling_rate != self.config.sampling_rate:
            raise ValueError(
                f"{type(self).__name__} is configured for {self.config.sampling_rate} Hz, got "
                f"{sampling_rate} Hz audio: resample the cuts (CutSet.resample) or set "
                "sampling_rate in the config"
            )

    def extract(self, samples: np.ndarray | Tensor, sampling_rate: int) -> np.ndarray | Tensor:
        """One cut: ``(time,)`` or ``(1, time)`` samples -> ``(frames, bins)``."""
        self._check_rate(sampling_rate)
        audio = _as_tensor(samples).reshape(1, -1)
        with torch.no_grad():
            out = self._frames(audio.to(self.device))[0].cpu()
        return out if isinstance(samples, Tensor) else out.numpy()

    def extract_batch(
        self,
        samples: np.ndarray | Tensor | Sequence[np.ndarray] | Sequence[Tensor],
        sampling_rate: int,
        lengths: np.ndarray | Tensor | None = None,
    ) -> np.ndarray | Tensor | list[np.ndarray] | list[Tensor]:
        """Cuts of any lengths in one call of the layer: a list of ``(frames, bins)``
        (or, for a padded ``(batch, time)`` tensor with ``lengths``, one per row)."""
        self._check_rate(sampling_rate)
        as_numpy = not (isinstance(samples, Tensor) or isinstance(samples[0], Tensor))
        if lengths is not None:
            cuts = [_as_tensor(samples)[i, : int(n)] for i, n in enumerate(lengths)]
        elif isinstance(samples, (np.ndarray, Tensor)) and samples.ndim == 2:
            cuts = list(_as_tensor(samples))
        else:
            cuts = [_as_tensor(s).reshape(-1) for s in samples]
        results = self._batch(cuts)
        return [r.numpy() for r in results] if as_numpy else results

    def _batch(self, cuts: list[Tensor]) -> list[Tensor]:
        """Each cut extended past its end as the layer extends it alone, zero-padded to the
        longest, one layer call, then each cut's own frames."""
        longest = max(c.shape[-1] for c in cuts) + self.edge
        padded = torch.zeros(len(cuts), longest, dtype=torch.float32)
        counts = []
        for i, cut in enumerate(cuts):
            extended = self._extend(cut.float())
            padded[i, : extended.shape[-1]] = extended
            counts.append(self._count(cut.shape[-1]))
        with torch.no_grad():
            frames = self._frames(padded.to(self.device)).cpu()
        return [frames[i, :count].clone() for i, count in enumerate(counts)]

    def _extend(self, cut: Tensor) -> Tensor:
        return cut

    def _count(self, samples: int) -> int:
        raise NotImplementedError


class _KaldiBatched(_Batched):
    """Kaldi framing: with ``snip_edges=False`` the samples past a cut's end are its own end
    mirrored (Kaldi's ``2 n - 1 - s``), so each cut is extended so before zero padding."""

    layer: KaldiFbank

    def _setup(self) -> None:
        self.window: int = round(self.config.sampling_rate * self.config.frame_length)
        self.shift: int = round(self.config.sampling_rate * self.config.frame_shift)
        self.edge = self.window

    def _frames(self, audio: Tensor) -> Tensor:
        out: Tensor = self.layer(audio)
        return out

    def _extend(self, cut: Tensor) -> Tensor:
        if self.config.snip_edges:
            return cut
        mirrored = cut.flip(-1)
        while mirrored.shape[-1] < self.edge:  # a cut shorter than a frame: mirror again
            mirrored = torch.cat([mirrored, mirrored.flip(-1)])
        return torch.cat([cut, mirrored[: self.edge]])

    def _count(self, samples: int) -> int:
        if self.config.snip_edges:
            return 0 if samples < self.window else 1 + (samples - self.window) // self.shift
        return (samples + self.shift // 2) // self.shift

    def _kaldi_options(self) -> dict[str, Any]:
        c = self.config
        return {
            "sample_frequency": float(c.sampling_rate),
            "frame_length": c.frame_length * 1000.0,
            "frame_shift": c.frame_shift * 1000.0,
            "round_to_power_of_two": c.round_to_power_of_two,
            "remove_dc_offset": c.remove_dc_offset,
            "preemphasis_coefficient": c.preemph_coeff,
            "window_type": c.window_type,
            "dither": c.dither,
            "snip_edges": c.snip_edges,
            "energy_floor": c.energy_floor,
            "raw_energy": c.raw_energy,
            "use_energy": c.use_energy,
            "low_freq": c.low_freq,
            "high_freq": c.high_freq,
            "num_mel_bins": c.num_filters,
        }


@register_extractor
class TorchspecFbank(_KaldiBatched):
    """Kaldi log mel filterbank energies by :class:`~torchspec.presets.KaldiFbank`."""

    name = "torchspec-fbank"
    config_type = TorchspecFbankConfig

    def __init__(self, config: TorchspecFbankConfig | None = None) -> None:
        super().__init__(config)
        self._setup()
        self.layer = KaldiFbank(**self._kaldi_options()).to(self.device)

    def feature_dim(self, sampling_rate: int) -> int:
        return int(self.config.num_filters) + int(self.config.use_energy)


@register_extractor
class TorchspecMfcc(_KaldiBatched):
    """Kaldi MFCCs by :class:`~torchspec.presets.KaldiMFCC`."""

    name = "torchspec-mfcc"
    config_type = TorchspecMfccConfig

    def __init__(self, config: TorchspecMfccConfig | None = None) -> None:
        super().__init__(config)
        self._setup()
        options = self._kaldi_options()
        self.layer = KaldiMFCC(
            num_ceps=self.config.num_ceps,
            cepstral_lifter=self.config.cepstral_lifter,
            **options,
        ).to(self.device)

    def feature_dim(self, sampling_rate: int) -> int:
        return int(self.config.num_ceps)


@register_extractor
class TorchspecMel(_Batched):
    """``log(mel + log_offset)`` by :class:`~torchspec.MelSpectrogram` (reflect-padded,
    centred frames; each cut padded at its end as it would be alone)."""

    name = "torchspec-mel"
    config_type = TorchspecMelConfig

    def __init__(self, config: TorchspecMelConfig | None = None) -> None:
        super().__init__(config)
        c = self.config
        self.hop: int = round(c.sampling_rate * c.frame_shift)
        self.edge = c.n_fft // 2
        self.layer = MelSpectrogram(
            c.sampling_rate,
            n_fft=c.n_fft,
            hop_length=self.hop,
            n_mels=c.n_mels,
            f_min=c.f_min,
            f_max=c.f_max,
            mel_scale=c.mel_scale,
            norm=c.norm,
        ).to(self.device)

    def feature_dim(self, sampling_rate: int) -> int:
        return int(self.config.n_mels)

    def _frames(self, audio: Tensor) -> Tensor:
        mel: Tensor = self.layer(audio)
        return torch.log(mel + self.config.log_offset).transpose(-1, -2)

    def _extend(self, cut: Tensor) -> Tensor:
        if cut.shape[-1] <= self.edge:
            return cut  # too short to reflect: the layer refuses it with a message
        return torch.nn.functional.pad(cut[None, None], (0, self.edge), mode="reflect")[0, 0]

    def _count(self, samples: int) -> int:
        return 1 + samples // self.hop


def _as_tensor(samples: Any) -> Tensor:
    return samples if isinstance(samples, Tensor) else torch.from_numpy(np.asarray(samples))
