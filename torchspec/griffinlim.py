"""GriffinLim: a waveform from a magnitude spectrogram, on the STFT pair of torchspec."""

from typing import Any

import torch
from torch import Tensor

from . import conv
from . import functional as TF
from .base import ExactBuffersModule
from .checks import (
    check_bool,
    check_device,
    check_device_arg,
    check_dtype,
    check_int,
    check_linear_frequency,
    check_non_negative,
    check_number,
    check_optional_int,
    check_power,
    check_spectrogram,
    empty_batch,
)
from .functional.filterbanks import WindowFn
from .spectrogram import stft_framing
from .tracing import scripting


class GriffinLim(ExactBuffersModule):
    """Fast Griffin-Lim phase reconstruction (with momentum). Drop-in for torchaudio's.

    Each iteration inverts ``magnitude * phase`` (inverse STFT: the shared overlap-add divided
    by the window sum-square), re-analyses it with the shared framing and keeps the new phase,
    extrapolated by ``momentum`` (Perraudin et al. 2013; librosa.griffinlim's algorithm;
    :func:`torchspec.functional.griffinlim`). Everything is torch, so it runs batched on CPU
    or CUDA and is differentiable with respect to the magnitude.

    Args:
        n_fft, win_length, hop_length, window_fn, wkwargs: as :class:`~torchspec.Spectrogram`.
        n_iter: iterations, >= 1. Default 32.
        power: exponent of the input (2 for a power spectrogram, 1 for magnitudes), > 0.
        momentum: in ``[0, 1)``. Default 0.99.
        length: output length in samples, or None for the STFT's natural length; a length
            whose STFT has another frame count is zero-extended or cut at the end.
        rand_init: start from uniformly random phases (True, default; librosa's
            ``init="random"``) or from zero phase (librosa's ``init=None``). A given start:
            ``forward(..., init_phase=...)``.

    Keyword-only args:
        center: frames centred on ``t * hop_length`` (default, as torchaudio) or starting
            there (``center=False``, librosa's option; needs a window that is nonzero at its
            edges, e.g. Hamming, or the overlap-add would divide by zero: refused then).
        pad_mode: padding of the re-analysis STFT: ``"reflect"`` (default, torchaudio's) or
            ``"constant"`` (librosa.griffinlim's default).
        device, dtype: where and in which dtype the window is held.

    State: the buffer ``window`` only, as torchaudio's GriffinLim, so its state dicts load.

    Shapes: input ``(..., n_fft // 2 + 1, frames)`` non-negative; output ``(..., time)``.

    Differs from torchaudio in its random start: unit-magnitude phases uniform in
    ``[0, 2*pi)`` (as librosa) rather than complex numbers uniform in the unit square.
    """

    window: Tensor
    power: float

    def __init__(
        self,
        n_fft: int = 400,
        n_iter: int = 32,
        win_length: int | None = None,
        hop_length: int | None = None,
        window_fn: WindowFn = torch.hann_window,
        power: float = 2.0,
        wkwargs: dict[str, Any] | None = None,
        momentum: float = 0.99,
        length: int | None = None,
        rand_init: bool = True,
        *,
        center: bool = True,
        pad_mode: str = "reflect",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        n_iter = check_int("n_iter", n_iter, minimum=1)
        momentum = check_number("momentum", momentum, at_least=0, below=1)
        checked = check_power(power, optional=False)
        assert checked is not None  # optional=False: a number or an error
        self.power = checked
        length = check_optional_int("length", length, minimum=1)
        rand_init = check_bool("rand_init", rand_init)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        self.framing, self.win_length = stft_framing(
            n_fft, win_length, hop_length, 0, center, pad_mode
        )
        window = TF.make_window(window_fn, self.win_length, wkwargs)
        conv.check_nola(TF.pad_window(window, n_fft), self.framing)
        self.register_exact_buffer("window", window, dtype=dtype, device=device)
        self.n_fft, self.n_iter, self.hop_length = n_fft, n_iter, self.framing.hop_length
        self.momentum, self.length, self.rand_init = momentum, length, rand_init
        self.pad_mode, self.center = self.framing.pad_mode, self.framing.center

    def forward(
        self,
        specgram: Tensor,
        init_phase: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Reconstruct a waveform.

        Args:
            specgram: ``(..., n_fft // 2 + 1, frames)`` magnitude raised to ``power``.
            init_phase: where to start instead of ``rand_init``: a complex spectrogram (its
                phase is used) or real phases in radians, shaped like ``specgram``.
            generator: random generator for ``rand_init`` (reproducible starts).

        Returns:
            ``(..., time)``.
        """
        if not scripting():
            check_spectrogram(specgram, self.n_fft // 2 + 1, "GriffinLim")
            check_linear_frequency(specgram, "GriffinLim")
            check_device(specgram, self.window, "GriffinLim")
            check_non_negative(specgram, "GriffinLim", "magnitude (or power) spectrogram")
            empty = empty_batch(specgram, 2, self.forward)
            if empty is not None:
                return empty
            if specgram.shape[-1] == 0:
                raise ValueError(
                    "GriffinLim needs a spectrogram with at least one frame; got shape "
                    f"{list(specgram.shape)}"
                )
        return TF.griffinlim(
            specgram,
            self.window,
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.power,
            self.n_iter,
            self.momentum,
            self.length,
            self.rand_init,
            center=self.center,
            pad_mode=self.pad_mode,
            init_phase=init_phase,
            generator=generator,
        )

    def extra_repr(self) -> str:
        return (
            f"n_fft={self.n_fft}, n_iter={self.n_iter}, hop_length={self.hop_length}, "
            f"power={self.power}, momentum={self.momentum}, length={self.length}"
        )
