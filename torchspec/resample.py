"""Sample-rate conversion by a rational ratio: a windowed-sinc polyphase filter run as one
strided convolution. Drop-in for torchaudio's ``Resample``."""

import torch
from torch import Tensor

from .base import ExactBuffersModule
from .checks import (
    check_choice,
    check_device,
    check_device_arg,
    check_dtype,
    check_int,
    check_number,
    check_waveform,
    empty_batch,
)
from .functional.resample import (
    RESAMPLING_METHODS,
    apply_resample_kernel,
    resampling_method_name,
    sinc_resample_kernel,
)
from .tracing import scripting


class Resample(ExactBuffersModule):
    """Resample ``(..., time)`` audio from ``orig_freq`` to ``new_freq`` Hz.

    Each output sample is the input convolved with a windowed sinc centred on its time, cut
    off at ``rolloff`` times the lower Nyquist frequency; the filters of all ``new_freq / g``
    output phases (``g`` the rates' gcd) run as one convolution with stride ``orig_freq / g``.
    The kernels are built in float64 and held in the layer's dtype; beyond the ends the input
    is taken as silence. Output length ``ceil(time * new_freq / orig_freq)``.

    Args:
        orig_freq: input rate in Hz, an integer >= 1. Default 16000.
        new_freq: output rate in Hz, an integer >= 1. Default 16000 (the input is returned).
        resampling_method: ``"sinc_interp_hann"`` (default) or ``"sinc_interp_kaiser"``
            (torchaudio's older ``"sinc_interpolation"`` and ``"kaiser_window"`` are accepted
            with a ``DeprecationWarning``, as torchaudio accepts them).
        lowpass_filter_width: zero crossings of the sinc on each side, >= 1: longer is
            sharper and slower. Default 6.
        rolloff: cut-off as a fraction of the lower Nyquist frequency, in (0, 1]. Default 0.99.
        beta: the Kaiser window's shape, >= 0 (``"sinc_interp_kaiser"`` only); None:
            14.769656459379492, torchaudio's default.

    Keyword-only args:
        device, dtype: where and in which dtype the kernels are held (float32 by default).

    Shapes:
        input ``(..., time)`` real; output ``(..., ceil(time * new_freq / orig_freq))``, the
        input's dtype. State-dict key ``kernel``, as torchaudio's (none when the rates are
        equal).

    Example: ``torchaudio.transforms.Resample(44100, 16000)`` is ``Resample(44100, 16000)``;
        ``resampling_method="sinc_interp_kaiser", lowpass_filter_width=64, rolloff=0.9475937,
        beta=14.769656459379492`` is librosa's ``res_type="kaiser_best"`` class.
    """

    kernel: Tensor

    def __init__(
        self,
        orig_freq: int = 16000,
        new_freq: int = 16000,
        resampling_method: str = "sinc_interp_hann",
        lowpass_filter_width: int = 6,
        rolloff: float = 0.99,
        beta: float | None = None,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.orig_freq = check_int("orig_freq", orig_freq, minimum=1)
        self.new_freq = check_int("new_freq", new_freq, minimum=1)
        self.resampling_method = check_choice(
            "resampling_method", resampling_method_name(resampling_method), RESAMPLING_METHODS
        )
        self.lowpass_filter_width = check_int(
            "lowpass_filter_width", lowpass_filter_width, minimum=1
        )
        self.rolloff = check_number("rolloff", rolloff, above=0.0, at_most=1.0)
        self.beta = None if beta is None else check_number("beta", beta, at_least=0.0)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        self.width = 0
        if self.orig_freq != self.new_freq:
            kernel, self.width = sinc_resample_kernel(
                self.orig_freq,
                self.new_freq,
                lowpass_filter_width=self.lowpass_filter_width,
                rolloff=self.rolloff,
                resampling_method=self.resampling_method,
                beta=self.beta,
            )
            self.register_exact_buffer("kernel", kernel, dtype=dtype, device=device)
        else:
            self.register_buffer("kernel", torch.zeros(0, device=device), persistent=False)

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)`` at ``orig_freq``. Returns it at ``new_freq``."""
        if not scripting():
            check_waveform(waveform, "Resample")
            check_device(waveform, self.kernel, "Resample")
            empty = empty_batch(waveform, 1, self.forward)
            if empty is not None:
                return empty
        if self.orig_freq == self.new_freq:
            return waveform
        return apply_resample_kernel(
            waveform, self.orig_freq, self.new_freq, self.kernel, self.width
        )

    def extra_repr(self) -> str:
        return (
            f"orig_freq={self.orig_freq}, new_freq={self.new_freq}, "
            f"resampling_method='{self.resampling_method}', "
            f"lowpass_filter_width={self.lowpass_filter_width}, rolloff={self.rolloff}, "
            f"beta={self.beta}"
        )
