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
