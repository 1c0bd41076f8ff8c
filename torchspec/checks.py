"""Validation at the boundary: parameters in ``__init__``, tensors in ``forward``."""

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .tracing import compiling


class EmptyFilterWarning(UserWarning):
    """A filterbank was built with filters that see nothing (or repeat their neighbours).

    Silence it with ``warnings.filterwarnings("ignore", category=torchspec.EmptyFilterWarning)``.
    """


def warn_empty_filters(bank: Tensor, *, kind: str, n_fft: int, sample_rate: float) -> None:
    """Warn once per call site if columns of an ``(n_freq, n_filters)`` bank are all zero."""
    empty = int((bank.amax(dim=0) <= 0).sum())
    if empty:
        warnings.warn(
            f"{empty} of {bank.shape[1]} {kind} filters are empty: n_fft={n_fft} at "
            f"{sample_rate:g} Hz gives {sample_rate / n_fft:.1f} Hz bins, wider than the "
            f"narrowest {kind} band; lower the number of filters, raise n_fft or raise f_min",
            EmptyFilterWarning,
            stacklevel=4,
        )


def _plain(value: object) -> object:
    """numpy scalars as the Python scalars they hold (``np.int64(2)`` -> ``2``)."""
    return value.item() if isinstance(value, np.generic) else value


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool (or numpy bool), else raise ``TypeError``.

    Strings, numbers and None are refused: ``center="False"`` would otherwise be truthy.
    """
    value = _plain(value)
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_int(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in ``[minimum, maximum]``.

    Raises:
        TypeError: not an integer (bools and floats such as ``512.0`` are refused).
        ValueError: out of range.
    """
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")
    return value


MAX_TAPS = 2**16 + 1  # longest learnable filter or pooling window (4 s at 16 kHz)


def check_taps(value: object) -> int:
    """``kernel_size`` of a centred filter: an odd integer in ``[3, MAX_TAPS]``."""
    taps = check_int("kernel_size", value, minimum=3, maximum=MAX_TAPS)
    if taps % 2 == 0:
        raise ValueError(f"kernel_size must be odd (a centred filter), got {taps}")
    return taps


def check_optional_int(
    name: str, value: object, *, minimum: int, maximum: int | None = None
) -> int | None:
    """:func:`check_int`, with None passed through."""
    return None if value is None else check_int(name, value, minimum=minimum, maximum=maximum)


def check_number(
    name: str,
    value: object,
    *,
    above: float | None = None,
    at_least: float | None = None,
    below: float | None = None,
    at_most: float | None = None,
) -> float:
    """Return ``value`` as a float if it is a finite real number in the given range.

    ``above``/``below`` are open bounds, ``at_least``/``at_most`` closed ones.

    Raises:
        TypeError: not a real number (strings, None, bools and tensors are refused).
        ValueError: NaN, infinite, or out of range; the message names the allowed range.
    """
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    number = float(value)
    bounds = []
    if above is not None:
        bounds.append((number > above, f"> {above:g}"))
    if at_least is not None:
        bounds.append((number >= at_least, f">= {at_least:g}"))
    if below is not None:
        bounds.append((number < below, f"< {below:g}"))
    if at_most is not None:
        bounds.append((number <= at_most, f"<= {at_most:g}"))
    if not math.isfinite(number) or not all(ok for ok, _ in bounds):
        allowed = " and ".join(text for _, text in bounds)
        allowed = f"a finite number {allowed}" if allowed else "a finite number"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def check_choice(name: str, value: object, choices: tuple[object, ...]) -> Any:
    """Return the one of ``choices`` that ``value`` equals (``1`` is not ``True``, ``2.0`` is
    ``2``).

    Raises ``TypeError`` (a value of another type) or ``ValueError`` naming the allowed values.
    """
    value = _plain(value)
    for choice in choices:
        if _same_kind(value, choice) and value == choice:
            return choice
    allowed = ", ".join(repr(c) for c in choices)
    if not any(_same_kind(value, choice) for choice in choices):
        raise TypeError(f"{name} must be one of {allowed}; got {value!r}")
    raise ValueError(f"{name} must be one of {allowed}; got {value!r}")


def _same_kind(value: object, choice: object) -> bool:
    """Comparable without surprises: the same type, an int for a float choice, or a whole
    float for an int choice (``norm=1.0`` is ``1``; ``dct_type=2.5`` is no int at all)."""
    if isinstance(value, bool) or isinstance(choice, bool):
        return type(value) is type(choice)
    if isinstance(value, int) and isinstance(choice, (int, float)):
        return True
    if isinstance(value, float) and isinstance(choice, int):
        return value.is_integer()
    return type(value) is type(choice)


def check_dtype(dtype: object) -> torch.dtype | None:
    """``dtype`` is None or a real floating-point ``torch.dtype`` (the dtype a layer holds)."""
    if dtype is None:
        return None
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float32, got {dtype!r}")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a real floating-point dtype, got {dtype}")
    return dtype


def check_device_arg(device: object) -> torch.device | None:
    """``device`` is None, a ``torch.device``, a device string or index."""
    if device is None:
        return None
    if not isinstance(device, (torch.device, str, int)) or isinstance(device, bool):
        raise TypeError(f"device must be a torch.device, a string or None, got {device!r}")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device {device!r} is not a device torch knows: {error}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but torch.cuda.is_available() is False (torch "
            f"{torch.__version__}, no usable CUDA device); use device='cpu' or a CUDA build "
            "of torch on a machine with a GPU"
        )
    return resolved


def not_a_tensor(x: object, layer: str, what: str) -> TypeError:
    """The error for a non-tensor input, suggesting ``torch.from_numpy`` for numpy arrays."""
    hint = "; convert it with torch.from_numpy(x)" if type(x).__module__ == "numpy" else ""
    return TypeError(f"{layer} expects a torch.Tensor {what}, got {type(x).__name__}{hint}")


def layout_hint(shape: tuple[int, ...] | list[int]) -> str:
    """A sentence for a too-short input that looks like ``(time, channels)`` (soundfile's and
    scipy's layout), else ""."""
    if len(shape) >= 2 and shape[-1] <= 8 and shape[-2] >= 64 * max(shape[-1], 1):
        return (
            f" The input {tuple(shape)} looks like (time, channels), soundfile's layout: "
            "torchspec takes (..., time); pass x.T (or x.transpose(-1, -2))."
        )
    return ""


def check_waveform(x: Tensor, layer: str, *, int16_scaled: bool = True) -> None:
    """A waveform is a real floating-point tensor with a time axis last.

    ``int16_scaled``: the layer expects samples in [-1, 1] (the hint for integer input divides
    by 32768); False for Kaldi's features, which take int16-range values as they are."""
    if not isinstance(x, Tensor):
        raise not_a_tensor(x, layer, "waveform")
    if x.is_complex():
        raise TypeError(
            f"{layer} expects a real waveform of shape (..., time), got complex dtype {x.dtype}"
        )
    if not x.dtype.is_floating_point:
        how = (
            "x.float() / 32768 for int16"
            if int16_scaled
            else "x.float() (Kaldi's features take int16-range values, not scaled)"
        )
        raise TypeError(
            f"{layer} expects a floating-point waveform, got {x.dtype}; convert integer PCM "
            f"first, e.g. {how}"
        )
    if x.dim() == 0:
        raise ValueError(f"{layer} expects a waveform of shape (..., time), got a 0-d tensor")
    if x.shape[-1] == 0:
        raise ValueError(
            f"{layer} got a waveform with 0 samples (shape {tuple(x.shape)}); it needs at "
            "least 1 sample"
        )


def empty_batch(x: Tensor, core: int, compute: Callable[[Tensor], Tensor]) -> Tensor | None:
    """The output for an input whose leading dims hold no items, or None if it has items.

    ``x`` is ``(..., *core_shape)`` with ``core`` trailing dims (1 for a waveform, 2 for a
    spectrogram). An empty batch such as ``(0, time)`` gets an empty output of the right
    shape: ``compute`` runs on one zero item to learn the per-item shape (FFT libraries refuse
    empty batches). Returns None when there is at least one item.
    """
    lead = x.shape[: x.dim() - core]
    if all(size != 0 for size in lead):  # not lead.numel(): export would fix the batch size
        return None
    item = compute(x.new_zeros(x.shape[x.dim() - core :]))
    return item.new_empty((*lead, *item.shape))


def check_real(x: object, layer: str) -> None:
    """Raise ``TypeError`` unless ``x`` is a real floating-point tensor (a spectrogram)."""
    if not isinstance(x, Tensor) or not x.dtype.is_floating_point:
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(
            f"{layer} expects a real floating-point spectrogram, got {got}: convert "
            "integers with x.float(), take complex values' magnitude with x.abs()"
        )


def check_init_phase(init_phase: object, spectrogram: Tensor) -> None:
    """Griffin-Lim's starting phase: a complex or real tensor shaped and placed like the
    spectrogram."""
    if not isinstance(init_phase, Tensor):
        raise TypeError(f"init_phase must be a tensor, got {type(init_phase).__name__}")
    if init_phase.device != spectrogram.device:
        raise ValueError(
            f"init_phase is on {init_phase.device}, the spectrogram on {spectrogram.device}"
        )
    if not (init_phase.is_complex() or init_phase.dtype.is_floating_point):
        raise TypeError(f"init_phase must be complex or real phases, got {init_phase.dtype}")
    if init_phase.shape != spectrogram.shape:
        raise ValueError(
            f"init_phase must have the spectrogram's shape {tuple(spectrogram.shape)}, "
            f"got {tuple(init_phase.shape)}"
        )


def check_waveform_input(
    x: Tensor, reference: Tensor, layer: str, compute: Callable[[Tensor], Tensor]
) -> Tensor | None:
    """A layer's eager input checks on a waveform: :func:`check_waveform`, on the device of the
    layer's ``reference`` tensor; returns :func:`empty_batch`'s output for an empty batch, else
    None (then ``forward`` computes)."""
    check_waveform(x, layer)
    check_device(x, reference, layer)
    return empty_batch(x, 1, compute)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype a transform computes in: float64 stays, everything else runs in float32.

    CPU FFTs do not exist for float16/bfloat16 and their sums of thousands of products lose
    too much precision, so half-precision inputs are computed in float32 and cast back.
    """
    return torch.float64 if dtype == torch.float64 else torch.float32


def check_non_negative(x: Tensor, layer: str, what: str, *, rounding: float = 0.0) -> None:
    """Raise ``ValueError`` if ``x`` has negative values (below ``-rounding`` times its largest
    magnitude: values that small are taken as rounding of a non-negative quantity): on the CPU
    only, where reading a value costs nothing. On an accelerator (and under
    ``torch.compile``) the check is skipped, so ``forward`` never waits for the device."""
    if x.device.type != "cpu" or compiling() or x.numel() == 0:
        return
    floor = -rounding * float(x.detach().abs().max()) if rounding > 0 else 0.0
    if bool((x < floor).any()):
        raise ValueError(
            f"{layer} expects a non-negative {what} (power or magnitude, not dB); its smallest "
            f"value is {float(x.detach().min()):.4g}"
        )


def check_device(x: Tensor, reference: Tensor, layer: str) -> None:
    """Raise ``ValueError`` unless ``x`` is on the device of the layer's ``reference`` tensor."""
    if x.device != reference.device:
        raise ValueError(
            f"{layer}: input is on {x.device} but the layer is on {reference.device}; "
            "move one of them, e.g. layer.to(x.device)"
        )


def check_spectrogram(x: object, n_freq: int | None, layer: str) -> None:
    """A real spectrogram ``(..., n_freq, time)`` (any row count for None): raise
    ``TypeError``/``ValueError`` if not."""
    if not isinstance(x, Tensor) or not x.dtype.is_floating_point:
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        hint = (
            "for a complex STFT take its magnitude first, e.g. spec.abs() ** 2"
            if isinstance(x, Tensor) and x.is_complex()
            else "convert it to float first, e.g. x.float()"
        )
        raise TypeError(
            f"{layer} expects a real floating-point (power or magnitude) spectrogram; got "
            f"{got}: {hint}"
        )
    if x.dim() < 2 or (n_freq is not None and x.shape[-2] != n_freq):
        if n_freq is None:
            raise ValueError(f"{layer} expects shape (..., freq, time); got {tuple(x.shape)}")
        raise ValueError(
            f"{layer} expects {n_freq} rows, shape (..., {n_freq}, time), as it was built; got "
            f"{tuple(x.shape)}"
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


LOG_FREQUENCY = "log"  # the ``freq_scale`` a log-frequency Spectrogram writes on its output


def check_linear_frequency(x: Tensor, layer: str) -> None:
    """Refuse the output of a log-frequency :class:`~torchspec.Spectrogram`.

    Such a layer marks the tensor it returns (``out.freq_scale == "log"``; the mark lives on
    that tensor object and is lost by any operation on it, and is not written under
    ``torch.compile``). Shapes alone cannot tell: with ``n_bins = n_fft // 2 + 1`` a
    log-frequency spectrogram has the linear one's shape.
    """
    if getattr(x, "freq_scale", None) == LOG_FREQUENCY:
        raise ValueError(
            f"{layer} needs a linear-frequency STFT, but this spectrogram comes from a "
            "Spectrogram with freq_scale='log': its bins are not the DFT bins. Use "
            "freq_scale='linear' for the spectrogram you invert or filter."
        )


def mark_power(out: Tensor, power: float | None) -> None:
    """Mark a layer's real output with the power of the magnitude it holds (``out.power``: 2
    for power, 1 for magnitude), for :class:`~torchspec.AmplitudeToDB` and
    :func:`~torchspec.plot` to read (eager only, as :func:`mark_frequency_scale`)."""
    if power is not None and not compiling() and not out.is_complex():
        out.power = float(power)  # type: ignore[attr-defined]


def warn_power_mismatch(x: Tensor, multiplier: float, stype: str) -> None:
    """Warn when :class:`~torchspec.AmplitudeToDB` gets a layer's output marked with another
    power than its ``stype`` (a magnitude converted as a power: dB halved)."""
    marked = getattr(x, "power", None)  # set by the layer that made x (eager)
    if not isinstance(marked, float) or abs(20.0 / marked - multiplier) <= 1e-9:
        return
    right = "magnitude" if marked == 1.0 else "power" if marked == 2.0 else None
    fix = f"AmplitudeToDB(stype='{right}')" if right else "a matching stype"
    factor = 20 / marked / multiplier
    warnings.warn(
        f"AmplitudeToDB(stype='{stype}') got the output of a layer with power={marked:g}: "
        f"its dB are off by a factor {factor:g}; use {fix}",
        stacklevel=3,
    )


def mark_db(out: Tensor) -> None:
    """Mark a tensor as decibels (``out.scale == "db"``), for :func:`~torchspec.plot` (eager
    only)."""
    if not compiling():
        out.scale = "db"  # type: ignore[attr-defined]


def mark_frequency_scale(out: Tensor, freq_scale: str) -> None:
    """Mark a log-frequency Spectrogram's output for :func:`check_linear_frequency` (eager
    only: torch.compile and TorchScript graphs cannot write attributes on tensors)."""
    if freq_scale == LOG_FREQUENCY and not compiling():
        out.freq_scale = LOG_FREQUENCY  # type: ignore[attr-defined]


def check_power(power: object, *, optional: bool) -> float | None:
    """``power`` is a finite number > 0 (or None where ``optional``); returned as float."""
    if power is None and optional:
        return None
    if power is None:
        raise TypeError("power must be a real number > 0, got None")
    return check_number("power", power, above=0)


def check_route(route: object, routes: tuple[str, ...], default: str) -> str:
    """Validate a requested compute route; None picks ``default``."""
    if route is None:
        return default
    chosen: str = check_choice("route", route, routes)
    return chosen


KERNEL_BYTES = 2 << 30  # largest conv-route kernel tensor built (float64 masters), 2 GiB


def check_kernel_size(rows: int, n_fft: int, layer: str) -> None:
    """Refuse conv-route Fourier kernels ``(rows, 2, n_fft)`` over :data:`KERNEL_BYTES` in
    float64 (an ``n_fft`` of 65536 with every bin would be 34 GB) before allocating them."""
    size = rows * 2 * n_fft * 8
    if size > KERNEL_BYTES:
        raise ValueError(
            f"{layer}: the conv route's kernels for n_fft={n_fft} and {rows} bins would take "
            f"{size / 2**30:.1f} GiB (float64; the limit is {KERNEL_BYTES / 2**30:.0f} GiB): "
            "lower n_fft or n_bins, or use the FFT route (freq_scale='linear', "
            "trainable=False or 'window')"
        )


def check_band_limits(
    sample_rate: object, f_min: object, f_max: object, *, positive_f_min: bool = False
) -> tuple[float, float, float]:
    """Validate ``0 <= f_min < f_max <= sample_rate / 2`` (``0 < f_min`` if ``positive_f_min``).

    Returns:
        ``(sample_rate, f_min, f_max)`` as floats, ``f_max`` defaulting to Nyquist.
    """
    rate = check_number("sample_rate", sample_rate, above=0)
    nyquist = rate / 2
    low = (
        check_number("f_min", f_min, above=0, below=nyquist)
        if positive_f_min
        else check_number("f_min", f_min, at_least=0, below=nyquist)
    )
    high = nyquist if f_max is None else check_number("f_max", f_max, above=low, at_most=nyquist)
    return rate, low, high


def check_norm(norm: object) -> float | None:
    """A p-norm order for librosa's ``normalize``: None, ``math.inf`` or a number > 0."""
    if norm is None or (isinstance(norm, float) and math.isinf(norm) and norm > 0):
        return norm
    return check_number("norm", norm, above=0.0)
