"""SincFilterbank: SincNet's band-pass filters with two learnable cut-offs each."""

import math
from typing import ClassVar

import torch
from torch import Tensor, nn

from . import conv
from . import functional as TF
from .base import bounded, bounded_logit, register_learnable
from .checks import (
    check_bool,
    check_device_arg,
    check_dtype,
    check_int,
    check_number,
    check_taps,
    check_waveform_input,
    compute_dtype,
)
from .functional.spectral import as_input_dtype
from .tracing import scripting


class SincFilterbank(nn.Module):
    r"""Band-pass filterbank with learnable cut-offs (SincNet, Ravanelli & Bengio 2018).

    Filter ``k`` is the windowed difference of two low-pass sincs,
    ``h_k[n] = w[n] (2 f_hi sinc(2 f_hi n) - 2 f_lo sinc(2 f_lo n)) / (2 (f_hi - f_lo))``
    (frequencies in cycles per sample, ``w`` a Hamming window of ``kernel_size`` taps, unit
    gain at the band centre), correlated with the signal every ``hop_length`` samples.

    The cut-offs are kept in range by reparametrisation, not clamping:
    ``f_lo = 1 + (nyquist - 2) * sigmoid(low_logit)`` and
    ``f_hi = f_lo + 1 + (nyquist - f_lo - 1) * sigmoid(band_logit)`` Hz, so ``0 < f_lo <
    f_hi <= nyquist`` with bands at least 1 Hz wide after any optimiser step. They start
    mel-spaced, as SincNet's: band edges equally spaced in mels from ``f_min`` to ``f_max``.

    Keyword-only args:
        n_filters: number of band-pass filters, >= 1. Default 80 (SincNet's).
        kernel_size: taps per filter, odd, >= 3. Default 251.
        sample_rate: Hz. Default 16000.
        hop_length: samples between output frames, >= 1. Default 1 (SincNet's stride).
        f_min, f_max: band edges of the initial filterbank in Hz. Defaults 30 and
            ``sample_rate / 2 - 80`` (SincNet's ``min_low_hz`` and ``min_band_hz``).
        center: pad ``kernel_size // 2`` zeros on both sides so frame ``t`` is centred at
            sample ``t * hop_length``. Default True.
        trainable: learn the cut-offs. Default True.
        device, dtype: where and in which dtype the parameters are held.

    Shapes: input ``(..., time)``; output ``(..., n_filters, frames)`` with
    ``frames = 1 + (time - 1) // hop_length`` when centred.

    State: ``low_logit`` and ``band_logit``, ``(n_filters,)`` each; the kernels are built from
    them in every forward (:meth:`filters`).
    """

    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies"]
    low_logit: Tensor
    band_logit: Tensor
    _taps: Tensor
    _window: Tensor

    def __init__(
        self,
        *,
        n_filters: int = 80,
        kernel_size: int = 251,
        sample_rate: float = 16000,
        hop_length: int = 1,
        f_min: float = 30.0,
        f_max: float | None = None,
        center: bool = True,
        trainable: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.n_filters = check_int("n_filters", n_filters, minimum=1)
        self.kernel_size = check_taps(kernel_size)
        self.sample_rate = check_number("sample_rate", sample_rate, above=0)
        self.hop_length = check_int("hop_length", hop_length, minimum=1)
        nyquist = self.sample_rate / 2
        f_max = nyquist - 80.0 if f_max is None else f_max
        f_min = check_number("f_min", f_min, above=1, below=nyquist - 1)
        f_max = check_number("f_max", f_max, above=f_min + 1, below=nyquist)
        self.center = check_bool("center", center)
        self.trainable = check_bool("trainable", trainable)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        edges = TF.mel_frequencies(self.n_filters + 1, f_min=f_min, f_max=f_max)
        low, high = edges[:-1], edges[1:]
        low_logit = bounded_logit(low, 1.0, nyquist - 1)
        band_logit = bounded_logit(high, low + 1, nyquist)
        for name, value in (("low_logit", low_logit), ("band_logit", band_logit)):
            register_learnable(
                self, name, value, trainable=self.trainable, device=device, dtype=dtype
            )
        n = torch.arange(self.kernel_size, dtype=torch.float64) - self.kernel_size // 2
        self.register_buffer("_taps", n.to(device=device), persistent=False)
        window = torch.hamming_window(self.kernel_size, periodic=False, dtype=torch.float64)
        self.register_buffer("_window", window.to(device=device), persistent=False)

    def cutoffs(self) -> tuple[Tensor, Tensor]:
        """Low and high cut-offs in Hz now, ``(n_filters,)`` each (differentiable)."""
        nyquist = self.sample_rate / 2
        low = bounded(self.low_logit, 1.0, nyquist - 1)
        return low, bounded(self.band_logit, low + 1, nyquist)

    @property
    def frequencies(self) -> Tensor:
        """Band centres in Hz now, ``(n_filters,)`` float64."""
        low, high = self.cutoffs()
        return ((low + high) / 2).detach().to(device="cpu", dtype=torch.float64)

    def filters(self, dtype: torch.dtype | None = None) -> Tensor:
        """The kernels now, ``(n_filters, kernel_size)``, unit gain at each band's centre."""
        low, high = self.cutoffs()
        if dtype is None:
            dtype = low.dtype
        low, high = low.to(dtype) / self.sample_rate, high.to(dtype) / self.sample_rate
        n = self._taps.to(dtype)
        band = (_lowpass(high, n) - _lowpass(low, n)) * self._window.to(dtype)
        # Unit gain at the centre frequency of each band (as SincNet's max normalisation).
        centre = (low + high) / 2
        gain = (band * torch.cos(2 * math.pi * centre[:, None] * n)).sum(-1, keepdim=True)
        return band / gain

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_filters, frames)``."""
        if not scripting():
            empty = check_waveform_input(waveform, self.low_logit, "SincFilterbank", self.forward)
            if empty is not None:
                return empty
        dtype = compute_dtype(waveform.dtype)
        framing = conv.Framing(self.kernel_size, self.hop_length, 0, self.center, "constant")
        signal, lead = framing.frame(waveform.to(dtype), "SincFilterbank")
        kernels = self.filters(dtype).unsqueeze(1)
        out = conv.conv1d(signal.unsqueeze(1), kernels, stride=self.hop_length)
        return as_input_dtype(out.reshape(lead + [out.shape[-2], out.shape[-1]]), waveform.dtype)

    def extra_repr(self) -> str:
        return (
            f"n_filters={self.n_filters}, kernel_size={self.kernel_size}, "
            f"sample_rate={self.sample_rate:g}, hop_length={self.hop_length}, "
            f"trainable={self.trainable}"
        )


def _lowpass(cutoff: Tensor, n: Tensor) -> Tensor:
    """``2 f sinc(2 f n)`` for each cut-off ``f`` (cycles per sample), ``sinc(x) = sin(pi x) /
    (pi x)``: ``(n_filters, taps)``."""
    return 2 * cutoff[:, None] * torch.sinc(2 * cutoff[:, None] * n)
