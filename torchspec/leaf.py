"""LEAF (Zeghidour et al. 2021): Gabor filterbank, Gaussian low-pass pooling, sPCEN."""

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import conv
from . import functional as TF
from .base import bounded, bounded_logit, register_learnable
from .checks import (
    MAX_TAPS,
    check_band_limits,
    check_bool,
    check_device_arg,
    check_dtype,
    check_int,
    check_number,
    check_power,
    check_spectrogram,
    check_taps,
    check_waveform_input,
    compute_dtype,
    empty_batch,
)
from .functional.spectral import as_input_dtype, pairs_power
from .pcen import PCEN
from .tracing import NotScriptable, scripting

FWHM_TO_SIGMA = math.sqrt(2 * math.log(2))


def gabor_init_from_mel(
    n_filters: int, sample_rate: float, f_min: float, f_max: float, n_fft: int = 4096
) -> tuple[Tensor, Tensor]:
    """LEAF's initialisation: centre (radians per sample) and Gaussian width (samples) of
    Gabor filters that approximate an HTK mel filterbank (no norm) over ``n_fft`` bins: the
    centre at each filter's peak bin, the width from the full width at half maximum of the
    square-rooted filter. LEAF measures on 512 bins; 4096 keeps the narrow low bands from
    being rounded to whole bins (the squared responses then correlate >= 0.99 with the mel
    filters at 16 kHz, against 0.90 for the lowest band on 512 bins).
    Returns ``(n_filters,)`` float64 each."""
    bank = TF.melscale_fbanks(n_fft // 2 + 1, f_min, f_max, n_filters, sample_rate).t()
    root = bank.sqrt()
    peak_bin = root.argmax(dim=-1).to(torch.float64)
    fwhm_bins = (root >= root.amax(dim=-1, keepdim=True) / 2).sum(dim=-1).to(torch.float64)
    centre = peak_bin * 2 * math.pi / n_fft
    sigma = FWHM_TO_SIGMA * n_fft / (math.pi * fwhm_bins)
    return centre, sigma


class GaborFilterbank(nn.Module):
    r"""Complex Gabor filters with learnable centre frequency and bandwidth (LEAF's first layer).

    ``phi_k[t] = exp(i eta_k t) exp(-t**2 / (2 sigma_k**2)) / (sqrt(2 pi) sigma_k)`` for
    ``t`` in ``[-(K // 2), K // 2]``, correlated with the signal every ``hop_length``
    samples. Initialised as LEAF: approximating an HTK mel filterbank from ``f_min`` to
    ``f_max`` (:func:`gabor_init_from_mel`). Kept in range by reparametrisation:
    ``eta = pi * sigmoid(centre_logit)`` in ``(0, pi)`` (0 to Nyquist) and
    ``sigma = s_min + (s_max - s_min) * sigmoid(width_logit)`` between LEAF's bounds
    ``s_min = 4 sqrt(2 ln 2) / pi`` and ``s_max = K sqrt(2 ln 2) / pi`` samples.

    Keyword-only args:
        n_filters: >= 1. Default 40.
        kernel_size: odd, >= 3. Default 401 (25 ms at 16 kHz).
        sample_rate: Hz. Default 16000.
        f_min, f_max: the mel filterbank the filters start from, Hz. Defaults 60 and 7800.
        hop_length: samples between outputs. Default 1 (LEAF pools afterwards).
        power: output ``|response| ** power`` (2, LEAF's squared modulus, by default), or
            None for the complex response.
        trainable: learn centres and widths. Default True.
        device, dtype: where and in which dtype the parameters are held.

    Shapes: input ``(..., time)``; output ``(..., n_filters, 1 + (time - 1) // hop_length)``.
    """

    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies"]
    centre_logit: Tensor
    width_logit: Tensor
    _taps: Tensor

    def __init__(
        self,
        *,
        n_filters: int = 40,
        kernel_size: int = 401,
        sample_rate: float = 16000,
        f_min: float = 60.0,
        f_max: float = 7800.0,
        hop_length: int = 1,
        power: float | None = 2.0,
        trainable: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.n_filters = check_int("n_filters", n_filters, minimum=1)
        self.kernel_size = check_taps(kernel_size)
        self.sample_rate = check_number("sample_rate", sample_rate, above=0)
        _, f_min, f_max = check_band_limits(self.sample_rate, f_min, f_max)
        self.hop_length = check_int("hop_length", hop_length, minimum=1)
        self.power = check_power(power, optional=True)
        self.trainable = check_bool("trainable", trainable)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        self.sigma_min = 4 * FWHM_TO_SIGMA / math.pi
        self.sigma_max = self.kernel_size * FWHM_TO_SIGMA / math.pi
        centre, sigma = gabor_init_from_mel(self.n_filters, self.sample_rate, f_min, f_max)
        values = {
            "centre_logit": bounded_logit(centre, 0.0, math.pi),
            "width_logit": bounded_logit(sigma, self.sigma_min, self.sigma_max),
        }
        for name, value in values.items():
            register_learnable(
                self, name, value, trainable=self.trainable, device=device, dtype=dtype
            )
        taps = torch.arange(self.kernel_size, dtype=torch.float64) - self.kernel_size // 2
        self.register_buffer("_taps", taps.to(device=device), persistent=False)

    def centres_and_widths(self) -> tuple[Tensor, Tensor]:
        """Centres in radians per sample and Gaussian widths in samples now (differentiable)."""
        eta = bounded(self.centre_logit, 0.0, math.pi)
        return eta, bounded(self.width_logit, self.sigma_min, self.sigma_max)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequencies in Hz now, ``(n_filters,)`` float64."""
        eta, _ = self.centres_and_widths()
        hz = eta.detach().to(device="cpu", dtype=torch.float64) * self.sample_rate / (2 * math.pi)
        return hz

    def filters(self, dtype: torch.dtype | None = None) -> Tensor:
        """The complex impulse responses now, ``(n_filters, kernel_size)``."""
        pairs = self._pairs(dtype)
        return torch.complex(pairs[:, 0], pairs[:, 1])

    def _pairs(self, dtype: torch.dtype | None) -> Tensor:
        """``(n_filters, 2, kernel_size)`` real and imaginary parts. Built from cos/sin, not
        ``torch.polar``, whose gradient is NaN where the envelope underflows to 0."""
        eta, sigma = self.centres_and_widths()
        if dtype is None:
            dtype = eta.dtype
        eta, sigma, t = eta.to(dtype)[:, None], sigma.to(dtype)[:, None], self._taps.to(dtype)
        envelope = torch.exp(-(t**2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)
        phase = eta * t
        return torch.stack((envelope * torch.cos(phase), envelope * torch.sin(phase)), dim=1)

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_filters, frames)``."""
        if not scripting():
            empty = check_waveform_input(
                waveform, self.centre_logit, "GaborFilterbank", self.forward
            )
            if empty is not None:
                return empty
        dtype = compute_dtype(waveform.dtype)
        framing = conv.Framing(self.kernel_size, self.hop_length, 0, True, "constant")
        # correlation with phi = convolution with its reverse: conv1d correlates, so the
        # kernels are phi itself (symmetric envelope, phase exp(i eta t) as in LEAF).
        kernels = self._pairs(dtype)  # (n_filters, 2, K)
        pairs = conv.analyse(waveform.to(dtype), kernels, framing, "GaborFilterbank")
        return as_input_dtype(pairs_power(pairs, self.power), waveform.dtype)

    def extra_repr(self) -> str:
        return (
            f"n_filters={self.n_filters}, kernel_size={self.kernel_size}, "
            f"sample_rate={self.sample_rate:g}, hop_length={self.hop_length}, "
            f"power={self.power}, trainable={self.trainable}"
        )


class GaussianLowpass(nn.Module):
    r"""Per-channel Gaussian low-pass pooling with learnable widths (LEAF's pooling).

    Channel ``c`` is convolved with ``w_c[t] = exp(-((t - (K - 1) / 2) / (s_c (K - 1) / 2))**2
    / 2)`` and kept every ``hop_length`` samples; ``s_c = 2 / K + (0.5 - 2 / K) *
    sigmoid(width_logit_c)`` stays inside LEAF's bounds ``[2 / K, 0.5]``.

    Keyword-only args:
        n_channels: >= 1. Default 40.
        kernel_size: odd, >= 3. Default 401.
        hop_length: >= 1. Default 160 (10 ms at 16 kHz).
        width: initial ``s_c``. Default 0.4 (LEAF's).
        trainable: learn the widths. Default True.
        device, dtype: as the other layers.

    Shapes: input ``(..., n_channels, time)``; output
    ``(..., n_channels, 1 + (time - 1) // hop_length)``.
    """

    width_logit: Tensor

    def __init__(
        self,
        *,
        n_channels: int = 40,
        kernel_size: int = 401,
        hop_length: int = 160,
        width: float = 0.4,
        trainable: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.n_channels = check_int("n_channels", n_channels, minimum=1)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=3, maximum=MAX_TAPS)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (a centred window), got {kernel_size}")
        self.hop_length = check_int("hop_length", hop_length, minimum=1)
        self.width_min, self.width_max = 2 / self.kernel_size, 0.5
        width = check_number("width", width, above=self.width_min, below=self.width_max)
        self.trainable = check_bool("trainable", trainable)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        start = torch.full((self.n_channels,), width, dtype=torch.float64)
        register_learnable(
            self,
            "width_logit",
            bounded_logit(start, self.width_min, self.width_max),
            trainable=self.trainable,
            device=device,
            dtype=dtype,
        )

    def widths(self) -> Tensor:
        """``s_c`` now, ``(n_channels,)`` (differentiable)."""
        return bounded(self.width_logit, self.width_min, self.width_max)

    def filters(self, dtype: torch.dtype | None = None) -> Tensor:
        """The pooling windows now, ``(n_channels, kernel_size)``."""
        widths = self.widths()
        if dtype is None:
            dtype = widths.dtype
        half = (self.kernel_size - 1) / 2
        t = torch.arange(self.kernel_size, dtype=dtype, device=widths.device) - half
        return torch.exp(-0.5 * (t / (widths.to(dtype)[:, None] * half)) ** 2)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x ``(..., n_channels, time)``. Returns ``(..., n_channels, frames)``."""
        if not scripting():
            check_spectrogram(x, self.n_channels, "GaussianLowpass")
            empty = empty_batch(x, 2, self.forward)
            if empty is not None:
                return empty
        dtype = compute_dtype(x.dtype)
        lead, channels, length = list(x.shape[:-2]), x.shape[-2], x.shape[-1]
        half = self.kernel_size // 2
        signal = F.pad(x.to(dtype).reshape(-1, channels, length), [half, half])
        out = conv.conv1d(
            signal, self.filters(dtype).unsqueeze(1), stride=self.hop_length, groups=channels
        )
        return as_input_dtype(out.reshape(lead + [channels, out.shape[-1]]), x.dtype)


class LEAF(NotScriptable, nn.Module):
    """LEAF, the learnable audio frontend (Zeghidour et al. 2021), with its published defaults.

    :class:`GaborFilterbank` (40 filters, 401 taps, squared modulus) -> :class:`GaussianLowpass`
    (401 taps, stride 160: 10 ms at 16 kHz) -> per-channel trainable :class:`PCEN` (gain 0.96,
    bias 2, power 0.5, smoothing 0.04, eps 1e-12). Every stage's parameters are learnable and
    kept in range by reparametrisation; the state dict holds 6 numbers per filter.

    Keyword-only args:
        n_filters: Default 40. sample_rate: Hz, default 16000.
        window_ms, stride_ms: filter/pooling length and stride. Defaults 25 and 10.
        f_min, f_max: initial mel range, Hz. Defaults 60 and 7800.
        device, dtype: as the other layers.

    Shapes: input ``(..., time)``; output ``(..., n_filters, 1 + (time - 1) // stride)``.
    """

    script_refusal: ClassVar[str] = "its PCEN stage does not script (see PCEN)"

    def __init__(
        self,
        *,
        n_filters: int = 40,
        sample_rate: float = 16000,
        window_ms: float = 25.0,
        stride_ms: float = 10.0,
        f_min: float = 60.0,
        f_max: float = 7800.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        sample_rate = check_number("sample_rate", sample_rate, above=0)
        window_ms = check_number("window_ms", window_ms, above=0)
        stride_ms = check_number("stride_ms", stride_ms, above=0)
        taps = sample_rate * window_ms / 1000
        if taps > MAX_TAPS:
            raise ValueError(
                f"window_ms={window_ms:g} at {sample_rate:g} Hz gives {taps:.3g} taps; at most "
                f"{MAX_TAPS}"
            )
        size = int(taps) // 2 * 2 + 1  # odd: 401 at 16 kHz
        stride = max(1, int(sample_rate * stride_ms / 1000))
        common = {"device": device, "dtype": dtype}
        self.filterbank = GaborFilterbank(
            n_filters=n_filters,
            kernel_size=size,
            sample_rate=sample_rate,
            f_min=f_min,
            f_max=f_max,
            **common,  # type: ignore[arg-type]
        )
        n = self.filterbank.n_filters
        self.pooling = GaussianLowpass(
            n_channels=n,
            kernel_size=size,
            hop_length=stride,
            **common,  # type: ignore[arg-type]
        )
        self.compression = PCEN(
            gain=0.96,
            bias=2.0,
            power=0.5,
            b=0.04,
            eps=1e-12,
            n_channels=n,
            trainable=True,
            **common,  # type: ignore[arg-type]
        )
        self.sample_rate, self.hop_length = sample_rate, stride

    @property
    def frequencies(self) -> Tensor:
        """Centre frequencies of the Gabor filters in Hz now, ``(n_filters,)`` float64."""
        return self.filterbank.frequencies

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_filters, frames)``."""
        out: Tensor = self.compression(self.pooling(self.filterbank(waveform)))
        return out
