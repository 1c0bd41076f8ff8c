"""Validation at the boundary: parameters in ``__init__``, tensors in ``forward``."""

from __future__ import annotations

import torch
from torch import Tensor


def check_int(name: str, value: object, *, minimum: int) -> int:
    """Return ``value`` if it is an integer ``>= minimum``, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_choice(name: str, value: object, choices: tuple[object, ...]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")


def check_waveform(x: Tensor, layer: str) -> None:
    """A waveform is a real floating-point tensor with a time axis last."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer} expects a torch.Tensor waveform, got {type(x).__name__}")
    if x.is_complex():
        raise TypeError(
            f"{layer} expects a real waveform of shape (..., time), got complex dtype {x.dtype}"
        )
    if not x.dtype.is_floating_point:
        raise TypeError(
            f"{layer} expects a floating-point waveform, got {x.dtype}; convert integer PCM "
            "first, e.g. x.float() / 32768 for int16"
        )
    if x.dim() == 0:
        raise ValueError(f"{layer} expects a waveform of shape (..., time), got a 0-d tensor")


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype a transform computes in: float64 stays, everything else runs in float32.

    CPU FFTs do not exist for float16/bfloat16 and their sums of thousands of products lose
    too much precision, so half-precision inputs are computed in float32 and cast back.
    """
    return torch.float64 if dtype == torch.float64 else torch.float32


def check_non_negative(x: Tensor, layer: str, what: str) -> None:
    """Raise ``ValueError`` if ``x`` has negative values: on the CPU only, where reading a
    value costs nothing. On an accelerator (and under ``torch.compile``) the check is skipped,
    so ``forward`` never waits for the device."""
    if x.device.type == "cpu" and not torch.compiler.is_compiling() and bool((x < 0).any()):
        raise ValueError(f"{layer} expects a non-negative {what}")


def check_device(x: Tensor, reference: Tensor, layer: str) -> None:
    """Raise ``ValueError`` unless ``x`` is on the device of the layer's ``reference`` tensor."""
    if x.device != reference.device:
        raise ValueError(
            f"{layer}: input is on {x.device} but the layer is on {reference.device}; "
            "move one of them, e.g. layer.to(x.device)"
        )


def check_spectrogram(x: object, n_freq: int, layer: str) -> None:
    """A real spectrogram ``(..., n_freq, time)``: raise ``TypeError``/``ValueError`` if not."""
    if not isinstance(x, Tensor) or not x.dtype.is_floating_point:
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(
            f"{layer} expects a real (power or magnitude) spectrogram; got {got}. For a complex "
            "STFT take its magnitude first, e.g. spec.abs() ** 2"
        )
    if x.dim() < 2 or x.shape[-2] != n_freq:
        raise ValueError(
            f"{layer} expects shape (..., {n_freq}, time) (n_stft={n_freq}); got {tuple(x.shape)}"
        )


def check_complex_spectrogram(x: object, n_freq: int, layer: str, hint: str) -> None:
    """A complex spectrogram ``(..., n_freq, frames)`` with at least one frame."""
    if not isinstance(x, Tensor) or not x.is_complex():
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(f"{layer} expects a complex spectrogram ({hint}), got {got}")
    if x.dim() < 2 or x.shape[-2] != n_freq:
        raise ValueError(f"{layer} expects shape (..., {n_freq}, frames); got {tuple(x.shape)}")
    if x.shape[-1] < 1:
        raise ValueError(f"{layer} needs at least one frame")


def check_power(power: object, *, optional: bool) -> float | None:
    """``power`` is a number > 0 (or None where ``optional``); returned as float."""
    if power is None and optional:
        return None
    if isinstance(power, bool) or not (isinstance(power, (int, float)) and power > 0):
        allowed = "a number > 0 or None" if optional else "a number > 0"
        raise ValueError(f"power must be {allowed}, got {power!r}")
    return float(power)


def check_route(route: str | None, routes: tuple[str, ...], default: str) -> str:
    """Validate a requested compute route; None picks ``default``."""
    if route is None:
        return default
    check_choice("route", route, routes)
    return route


def check_band_limits(sample_rate: float, f_min: float, f_max: float | None) -> float:
    """Validate ``0 <= f_min < f_max <= sample_rate / 2``; return ``f_max`` (default Nyquist)."""
    if not sample_rate > 0:
        raise ValueError(f"sample_rate must be > 0, got {sample_rate!r}")
    nyquist = sample_rate / 2
    f_max = nyquist if f_max is None else f_max
    if not 0 <= f_min < nyquist:
        raise ValueError(f"f_min must be in [0, sample_rate/2 = {nyquist}) Hz, got {f_min}")
    if not f_min < f_max <= nyquist:
        raise ValueError(
            f"f_max must be in (f_min = {f_min}, sample_rate/2 = {nyquist}] Hz, got {f_max}"
        )
    return float(f_max)
