"""PCEN: per-channel energy normalisation, fixed (librosa.pcen) or trainable (LEAF's sPCEN)."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor, nn

from . import functional as TF
from .base import register_learnable
from .checks import (
    check_bool,
    check_device_arg,
    check_dtype,
    check_int,
    check_non_negative,
    check_number,
    check_optional_int,
    check_spectrogram,
)
from .functional.spectral import as_input_dtype
from .tracing import NotScriptable

FLOAT32_LOG_MAX = math.log(torch.finfo(torch.float32).max)  # 88.7


class PCEN(NotScriptable, nn.Module):
    """Per-channel energy normalisation of a spectrogram (Wang et al. 2017; librosa.pcen).

    ``M`` is ``S`` smoothed over time by ``M[t] = (1 - b) M[t-1] + b S[t]``; the output is
    ``(S / (eps + M)**gain + bias)**power - bias**power``. With ``trainable=True`` gain, bias,
    power and ``b`` become per-channel parameters (LEAF's sPCEN), kept in range by
    reparametrisation: ``gain = sigmoid(gain_logit)`` and ``power = sigmoid(power_logit)`` in
    ``(0, 1)`` (LEAF bounds them so too), ``bias = softplus(bias_raw) > 0`` and
    ``b = sigmoid(b_logit)``, so no optimiser step can leave the range or overflow.

    The smoother is a chunked scan (:func:`torchspec.functional.smooth`): 64 frames per
    matrix product, no Python loop over frames.

    Keyword-only args (librosa.pcen's names and defaults):
        sample_rate: Hz of the audio, for ``time_constant``. Default 22050.
        hop_length: samples between frames, for ``time_constant``. Default 512.
        gain: > 0... strictly ``>= 0`` (0 turns the normalisation off). Default 0.98.
        bias: >= 0. Default 2.
        power: >= 0 (0: ``log1p``). Default 0.5.
        time_constant: seconds, > 0. Default 0.4.
        eps: > 0. Default 1e-6.
        b: smoothing coefficient in ``(0, 1]``; None (default) derives it from
            ``time_constant`` as librosa does.
        max_size: channels of the max filter applied before smoothing, >= 1. Default 1.
        n_channels: number of channels (frequency bands); needed when trainable.
        trainable: per-channel learnable gain, bias, power and ``b``. Default False.
        device, dtype: where and in which dtype the parameters are held.

    Shapes: input ``(..., channels, frames)`` non-negative; output the same.

    Example:
        >>> frontend = nn.Sequential(MelSpectrogram(16000, hop_length=160, n_mels=64),
        ...                          PCEN(sample_rate=16000, hop_length=160))
    """

    gain_logit: Tensor
    bias_raw: Tensor
    power_logit: Tensor
    b_logit: Tensor
    script_refusal: ClassVar[str] = (
        "its fixed and trainable modes hold different attributes and its streaming forward "
        "returns a tensor or a pair, which TorchScript cannot type"
    )

    def __init__(
        self,
        *,
        sample_rate: float = 22050,
        hop_length: int = 512,
        gain: float = 0.98,
        bias: float = 2.0,
        power: float = 0.5,
        time_constant: float = 0.4,
        eps: float = 1e-6,
        b: float | None = None,
        max_size: int = 1,
        n_channels: int | None = None,
        trainable: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        sample_rate = check_number("sample_rate", sample_rate, above=0)
        hop_length = check_int("hop_length", hop_length, minimum=1)
        gain = check_number("gain", gain, at_least=0)
        bias = check_number("bias", bias, at_least=0)
        power = check_number("power", power, at_least=0)
        time_constant = check_number("time_constant", time_constant, above=0)
        self.eps = check_number("eps", eps, above=0)
        if gain * -math.log(min(self.eps, 1.0)) > FLOAT32_LOG_MAX:
            raise ValueError(
                f"gain={gain} with eps={self.eps:g}: a silent frame is divided by "
                f"eps**gain = 10**-{gain * -math.log10(min(self.eps, 1.0)):.3g}, beyond float32's "
                "range (every quiet frame would be inf); use a gain near 1 (librosa's 0.98)"
            )
        if b is None:
            b = TF.smoothing_coefficient(time_constant, sample_rate, hop_length)
        b = check_number("b", b, above=0, at_most=1)
        self.max_size = check_int("max_size", max_size, minimum=1)
        self.n_channels = check_optional_int("n_channels", n_channels, minimum=1)
        self.trainable = check_bool("trainable", trainable)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        self.sample_rate, self.hop_length, self.time_constant = (
            sample_rate,
            hop_length,
            time_constant,
        )
        if not self.trainable:
            self.gain, self.bias, self.power, self.b = gain, bias, power, b
            return
        if self.n_channels is None:
            raise ValueError("trainable PCEN needs n_channels (its per-channel parameters)")
        if not (0 < gain < 1 and 0 < power < 1 and bias > 0 and b < 1):
            raise ValueError(
                "trainable PCEN needs gain and power in (0, 1), bias > 0 and b < 1; got "
                f"gain={gain}, power={power}, bias={bias}, b={b}"
            )
        for name, value in (
            ("gain_logit", math.log(gain / (1 - gain))),
            ("bias_raw", bias + math.log(-math.expm1(-bias))),  # softplus inverse
            ("power_logit", math.log(power / (1 - power))),
            ("b_logit", math.log(b / (1 - b))),
        ):
            start = torch.full((self.n_channels,), value, dtype=torch.float64)
            register_learnable(self, name, start, trainable=True, device=device, dtype=dtype)

    def parameters_now(self) -> dict[str, Tensor | float]:
        """The current gain, bias, power and ``b`` (floats, or ``(n_channels,)`` tensors)."""
        if not self.trainable:
            return {"gain": self.gain, "bias": self.bias, "power": self.power, "b": self.b}
        return {
            "gain": torch.sigmoid(self.gain_logit),
            "bias": torch.nn.functional.softplus(self.bias_raw),
            "power": torch.sigmoid(self.power_logit),
            "b": torch.sigmoid(self.b_logit),
        }

    def forward(
        self, specgram: Tensor, zi: Tensor | None = None, return_zf: bool = False
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Args:
            specgram: ``(..., channels, frames)`` non-negative (power or magnitude).
            zi: smoother state to start from, broadcastable to ``(..., channels, 1)``, in
                ``scipy.signal.lfilter``'s convention (librosa's ``zi``); None: librosa's
                default, as if the input had been 1 forever.
            return_zf: also return the final state, to pass as ``zi`` for the next block.

        Returns:
            ``(..., channels, frames)``, and the state ``(..., channels, 1)`` if asked.
        """
        check_spectrogram(specgram, self.n_channels, "PCEN")
        check_non_negative(specgram, "PCEN", "spectrogram")
        out, zf = TF.pcen(
            specgram, **self.parameters_now(), eps=self.eps, max_size=self.max_size, zi=zi
        )
        out = as_input_dtype(out, specgram.dtype)
        return (out, zf) if return_zf else out

    def extra_repr(self) -> str:
        if self.trainable:
            return f"n_channels={self.n_channels}, trainable=True, eps={self.eps}"
        return (
            f"gain={self.gain}, bias={self.bias}, power={self.power}, b={self.b:.4g}, "
            f"eps={self.eps}, max_size={self.max_size}"
        )
