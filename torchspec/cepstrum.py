"""Cepstral heads: MFCC and LFCC (DCT of log filterbank energies) and InverseMFCC."""

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from . import functional as TF
from .base import ExactBuffersModule, layer_dtype
from .checks import (
    check_band_limits,
    check_bool,
    check_choice,
    check_device_arg,
    check_dtype,
    check_int,
    check_linear_frequency,
    check_number,
    check_spectrogram,
    check_waveform,
    compute_dtype,
    warn_empty_filters,
)
from .mel import MelSpectrogram
from .spectrogram import Spectrogram
from .tracing import scripting


def _check_dct(dct_type: object, norm: object, lifter: object) -> tuple[int, str | None, float]:
    """Validated ``(dct_type, norm, lifter)``."""
    return (
        check_choice("dct_type", dct_type, (2, 3)),
        check_choice("norm", norm, (None, "ortho")),
        check_number("lifter", lifter, at_least=0),
    )


class _Cepstrum(ExactBuffersModule):
    """Log (or dB) of filterbank energies followed by a DCT along the band axis, with lifter."""

    dct_mat: Tensor

    def __init__(
        self,
        *,
        n_bands: int,
        n_coefficients: int,
        coefficients_name: str,
        dct_type: int,
        norm: str | None,
        lifter: float,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        check_int(coefficients_name, n_coefficients, minimum=1, maximum=n_bands)
        dct_type, norm, self.lifter = _check_dct(dct_type, norm, lifter)
        self.dct_type, self.norm, self.top_db = dct_type, norm, 80.0
        matrix = TF.create_dct(n_coefficients, n_bands, norm, dct_type=dct_type)
        matrix = matrix * TF.lifter_weights(n_coefficients, self.lifter)
        self.register_exact_buffer("dct_mat", matrix, dtype=dtype, device=device)

    def cepstrum(self, energies: Tensor, *, log: bool) -> Tensor:
        """``(..., n_bands, frames)`` energies to ``(..., n_coefficients, frames)``
        (:func:`torchspec.functional.cepstrum`)."""
        return TF.cepstrum(energies, self.dct_mat, log=log, top_db=self.top_db)


class MFCC(_Cepstrum):
    """Mel-frequency cepstral coefficients. Drop-in for ``torchaudio.transforms.MFCC``.

    ``dct(dB(MelSpectrogram(x)))[:n_mfcc]``, with the dB floored 80 dB below each item's peak
    (as librosa.feature.mfcc with ``power_to_db``; torchaudio floors 3-D input over the whole
    batch, see :class:`~torchspec.AmplitudeToDB`), or the natural log of ``mel + 1e-6`` when
    ``log_mels`` is True.

    Args:
        sample_rate: sampling rate in Hz. Default 16000.
        n_mfcc: number of coefficients, in ``[1, n_mels]``. Default 40.
        dct_type: 2 (default) or 3, scipy's definitions.
        norm: ``"ortho"`` (default) or None.
        log_mels: natural log instead of dB. Default False.
        melkwargs: arguments for :class:`MelSpectrogram`.

    Keyword-only args:
        lifter: cepstral liftering ``1 + (lifter / 2) * sin(pi * (k + 1) / lifter)`` on
            coefficient ``k`` (librosa's), or 0 (default) for none.
        trainable_mel, trainable_stft: as :class:`MelSpectrogram`.
        device, dtype: where and in which dtype kernels, filters and the DCT are held.

    Shapes: input ``(..., time)``; output ``(..., n_mfcc, frames)``.
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_mfcc: int = 40,
        dct_type: int = 2,
        norm: str | None = "ortho",
        log_mels: bool = False,
        melkwargs: dict[str, Any] | None = None,
        *,
        lifter: float = 0.0,
        trainable_mel: bool | str = False,
        trainable_stft: bool | str = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if melkwargs is not None and not isinstance(melkwargs, dict):
            raise TypeError(f"melkwargs must be a dict or None, got {melkwargs!r}")
        log_mels = check_bool("log_mels", log_mels)
        trainable_mel = check_choice("trainable_mel", trainable_mel, (False, True, "parametric"))
        trainable_stft = check_choice("trainable_stft", trainable_stft, (False, True, "window"))
        mel = MelSpectrogram(
            sample_rate,
            **(melkwargs or {}),
            trainable_mel=trainable_mel,
            trainable_stft=trainable_stft,
            device=device,
            dtype=dtype,
        )
        super().__init__(
            n_bands=mel.n_mels,
            n_coefficients=n_mfcc,
            coefficients_name="n_mfcc",
            dct_type=dct_type,
            norm=norm,
            lifter=lifter,
            device=device,
            dtype=dtype,
        )
        self.MelSpectrogram = mel
        self.sample_rate, self.n_mfcc, self.log_mels = sample_rate, n_mfcc, log_mels

    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies"]

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every mel band in Hz, ``(n_mels,)`` float64."""
        return self.MelSpectrogram.frequencies

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_mfcc, frames)``."""
        if not scripting():
            check_waveform(waveform, "MFCC")
        mel = self.MelSpectrogram(waveform.to(compute_dtype(waveform.dtype)))
        return self.cepstrum(mel, log=self.log_mels).to(waveform.dtype)

    def from_mel(self, melspec: Tensor) -> Tensor:
        """MFCCs of a precomputed mel power spectrogram ``(..., n_mels, frames)`` (as
        ``librosa.feature.mfcc(S=librosa.power_to_db(melspec))`` with the same DCT and lifter).

        Returns ``(..., n_mfcc, frames)``.
        """
        check_spectrogram(melspec, self.MelSpectrogram.n_mels, "MFCC.from_mel")
        return self.cepstrum(melspec, log=self.log_mels)


class LFCC(_Cepstrum):
    """Linear-frequency cepstral coefficients. Drop-in for ``torchaudio.transforms.LFCC``.

    As :class:`MFCC`, with ``n_filter`` triangular filters equally spaced in Hz from ``f_min``
    to ``f_max`` (torchaudio.functional.linear_fbanks) instead of mel bands.

    Args:
        sample_rate: sampling rate in Hz. Default 16000.
        n_filter: number of linear filters, >= 1. Default 128.
        f_min, f_max: filter edges in Hz, ``0 <= f_min < f_max <= sample_rate / 2``.
        n_lfcc: number of coefficients, in ``[1, n_filter]``. Default 40.
        dct_type, norm: as :class:`MFCC`.
        log_lf: natural log of ``energy + 1e-6`` instead of dB. Default False.
        speckwargs: arguments for :class:`~torchspec.Spectrogram` (``power`` must stay set).

    Keyword-only args:
        lifter, trainable_stft, device, dtype: as :class:`MFCC`.
        trainable_filters: trainable linear filterbank ``filter_mat`` (used as
            ``filter_mat.clamp(min=0)``, as :class:`MelScale`).

    Shapes: input ``(..., time)``; output ``(..., n_lfcc, frames)``.
    """

    filter_mat: Tensor

    def __init__(
        self,
        sample_rate: float = 16000,
        n_filter: int = 128,
        f_min: float = 0.0,
        f_max: float | None = None,
        n_lfcc: int = 40,
        dct_type: int = 2,
        norm: str | None = "ortho",
        log_lf: bool = False,
        speckwargs: dict[str, Any] | None = None,
        *,
        lifter: float = 0.0,
        trainable_filters: bool = False,
        trainable_stft: bool | str = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_int("n_filter", n_filter, minimum=1)
        dtype = check_dtype(dtype)
        if speckwargs is not None and not isinstance(speckwargs, dict):
            raise TypeError(f"speckwargs must be a dict or None, got {speckwargs!r}")
        log_lf = check_bool("log_lf", log_lf)
        trainable_filters = check_bool("trainable_filters", trainable_filters)
        trainable_stft = check_choice("trainable_stft", trainable_stft, (False, True, "window"))
        super().__init__(
            n_bands=n_filter,
            n_coefficients=n_lfcc,
            coefficients_name="n_lfcc",
            dct_type=dct_type,
            norm=norm,
            lifter=lifter,
            device=device,
            dtype=dtype,
        )
        self.Spectrogram = Spectrogram(
            **(speckwargs or {}), trainable=trainable_stft, device=device, dtype=dtype
        )
        if self.Spectrogram.power is None:
            raise TypeError("speckwargs['power'] must be a number > 0 for LFCC, got None")
        if not self.Spectrogram.onesided or self.Spectrogram.freq_scale != "linear":
            raise ValueError(
                "LFCC's linear filters read a onesided linear-frequency spectrogram: "
                "speckwargs may not set onesided=False or freq_scale='log'"
            )
        _, f_min, f_max = check_band_limits(sample_rate, f_min, f_max)
        n_freq = self.Spectrogram.n_fft // 2 + 1
        bank = TF.linear_fbanks(n_freq, f_min, f_max, n_filter, sample_rate)
        n_fft = self.Spectrogram.n_fft
        warn_empty_filters(bank, kind="linear", n_fft=n_fft, sample_rate=float(sample_rate))
        self._centres = TF.linear_edges(n_filter, f_min=f_min, f_max=f_max)[1:-1]
        self.trainable_filters = trainable_filters
        if self.trainable_filters:  # torchaudio's buffer name, so its state dicts load
            self.filter_mat = nn.Parameter(bank.to(device=device, dtype=layer_dtype(dtype)))
        else:
            self.register_exact_buffer("filter_mat", bank, dtype=dtype, device=device)
        self.sample_rate, self.n_filter, self.n_lfcc = sample_rate, n_filter, n_lfcc
        self.f_min, self.f_max, self.log_lf = f_min, f_max, log_lf

    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies"]

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every linear filter in Hz, ``(n_filter,)`` float64."""
        return self._centres.clone()

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_lfcc, frames)``."""
        if not scripting():
            check_waveform(waveform, "LFCC")
        power = self.Spectrogram(waveform.to(compute_dtype(waveform.dtype)))
        return self.lfcc(power).to(waveform.dtype)

    def from_spectrogram(self, specgram: Tensor) -> Tensor:
        """LFCCs of a precomputed power spectrogram ``(..., n_fft // 2 + 1, frames)``.

        Returns ``(..., n_lfcc, frames)``.
        """
        check_spectrogram(specgram, self.filter_mat.shape[0], "LFCC.from_spectrogram")
        check_linear_frequency(specgram, "LFCC.from_spectrogram")
        return self.lfcc(specgram)

    def lfcc(self, specgram: Tensor) -> Tensor:
        """LFCCs of a checked power spectrogram."""
        bank = self.filter_mat.clamp(min=0) if self.trainable_filters else self.filter_mat
        return self.cepstrum(TF.apply_filterbank(specgram, bank), log=self.log_lf)


class InverseMFCC(ExactBuffersModule):
    """Mel power spectrogram from MFCCs: undo the lifter, inverse DCT, dB to power.

    As librosa.feature.inverse.mfcc_to_mel: the ``n_mfcc`` coefficients are zero-extended to
    ``n_mels`` before the inverse DCT, so what the truncation dropped stays lost. With
    ``log_mels`` (as in :class:`~torchspec.MFCC`) the inverse of ``log(mel + 1e-6)`` is used.

    Args:
        n_mfcc: number of coefficients in the input, in ``[1, n_mels]``.
        n_mels: number of mel bands to return. Default 128.
        dct_type: 2 (default) or 3, the type used by the forward DCT.
        norm: ``"ortho"`` (default) or None, as the forward DCT.
        log_mels: the MFCCs were taken of ``log(mel + 1e-6)`` instead of dB. Default False.

    Keyword-only args:
        lifter: the forward lifter to undo (0: none).
        device, dtype: where and in which dtype the matrix is held.

    Shapes: input ``(..., n_mfcc, time)``; output ``(..., n_mels, time)``.
    """

    idct_mat: Tensor

    def __init__(
        self,
        n_mfcc: int,
        n_mels: int = 128,
        dct_type: int = 2,
        norm: str | None = "ortho",
        log_mels: bool = False,
        *,
        lifter: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        n_mels = check_int("n_mels", n_mels, minimum=1)
        n_mfcc = check_int("n_mfcc", n_mfcc, minimum=1, maximum=n_mels)
        dct_type, norm, lifter = _check_dct(dct_type, norm, lifter)
        log_mels = check_bool("log_mels", log_mels)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        # The inverse of DCT-II is DCT-III and vice versa; unnormalised pairs carry 1 / (2N).
        inverse = TF.create_dct(n_mels, n_mels, norm, dct_type=5 - dct_type)
        if norm is None:
            inverse = inverse / (2 * n_mels)
        matrix = inverse[:n_mfcc]  # (n_mfcc, n_mels): coefficients beyond n_mfcc are zero
        weights = TF.lifter_weights(n_mfcc, lifter)
        zero = torch.nonzero(weights.abs() < 1e-6).flatten()
        if zero.numel():
            raise ValueError(
                f"lifter={lifter:g} weighs coefficient {int(zero[0])} by zero "
                "(1 + lifter/2 * sin(pi * (k + 1) / lifter)), so the lifter cannot be undone; "
                "use the lifter the MFCCs were made with, and n_mfcc below the zero"
            )
        matrix = matrix / weights[:, None]
        self.register_exact_buffer("idct_mat", matrix, dtype=dtype, device=device)
        self.n_mfcc, self.n_mels, self.log_mels = n_mfcc, n_mels, log_mels

    def forward(self, mfcc: Tensor) -> Tensor:
        """Args: mfcc ``(..., n_mfcc, time)``. Returns ``(..., n_mels, time)``."""
        if not scripting():
            check_spectrogram(mfcc, self.n_mfcc, "InverseMFCC")
        return TF.mfcc_to_mel(mfcc, self.idct_mat, log=self.log_mels)
