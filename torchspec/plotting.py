"""Drawing a feature with correct axes (needs the ``plot`` extra: matplotlib)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from . import functional as TF
from .functional.scaling import amplitude_to_db


def plot(
    first: Tensor | nn.Module,
    second: Tensor | nn.Module | None = None,
    *,
    sample_rate: float | None = None,
    hop_length: int | None = None,
    frequencies: Tensor | None = None,
    db: bool = True,
    label: str | None = None,
    time_offset: float | None = None,
    note_names: bool = False,
    rows_label: str = "coefficient",
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Draw a ``(freq, frames)`` feature: time in seconds, frequency in Hz, a dB colour bar.

    Call it as ``plot(layer, output)`` (everything is read from the layer) or as
    ``plot(feature, layer, sample_rate=..., hop_length=...)``. Rows are placed at their centre
    frequencies (``frequencies``, else ``layer.frequencies``): a linear STFT gets a linear axis,
    a log-frequency STFT or CQT a logarithmic one, a mel layer a mel axis; Hz ticks sit on the
    1-2-5 sequence (100, 200, 500 Hz, 1k, ...), so the low end is labelled too. Features
    without frequencies (MFCC) are drawn against their coefficient index.

    Args:
        first, second: ``(layer, output)`` or ``(feature, layer)``; the feature is
            ``(freq, frames)`` power, magnitude, complex or coefficients.
        sample_rate, hop_length: frame ``t`` is drawn at ``t * hop_length / sample_rate`` s
            (plus half a frame when the layer does not centre frames); default: the layer's.
        db: show decibels relative to the feature's maximum, with an 80 dB range: ``10 log10``
            of a power (``power=2``), ``20 log10`` of a magnitude or complex feature, in
            general ``(20 / power) log10``. The colour bar says which. A feature that is
            already in dB (the output of :class:`~torchspec.AmplitudeToDB`, marked
            ``scale == "db"``) is drawn as it is.
        label: draw the values as they are, under this colour-bar label (log features,
            normalised presets, coefficients).
        time_offset: seconds at which frame 0 is centred; default: from the layer (0 when
            it centres frames).
        note_names: label a CQT / log-frequency axis with the C of each octave (C1 = 32.7 Hz).
        rows_label: the row axis's label for a feature without frequencies (what its rows
            are: ``"pitch class"``, ``"lag (frames)"``).
        ax: a matplotlib Axes to draw into; a new figure otherwise.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

    pair = (second, first) if isinstance(first, nn.Module) else (first, second)
    feature, layer = pair
    if not isinstance(feature, Tensor) or not isinstance(layer, (nn.Module, type(None))):
        raise TypeError("plot expects (layer, output) or (feature, layer) with a Tensor feature")
    values = feature.detach().cpu()
    if values.dim() != 2:
        raise ValueError(f"plot expects a (freq, frames) feature, got shape {tuple(values.shape)}")
    from .cepstrum import MFCC

    is_cepstrum = isinstance(layer, MFCC)
    sample_rate = sample_rate or _attribute(layer, "sample_rate")
    hop_length = hop_length or _attribute(layer, "hop_length")
    if sample_rate is None or hop_length is None:
        raise ValueError(
            "plot needs sample_rate and hop_length: pass them or a layer that has them"
        )
    if frequencies is None and layer is not None and not is_cepstrum:
        try:
            frequencies = getattr(layer, "frequencies", None)
        except ValueError:  # a linear Spectrogram built without sample_rate
            frequencies = None
        if (
            frequencies is None
            and _attribute(layer, "n_fft")
            and values.shape[0] == (int(_attribute(layer, "n_fft")) // 2 + 1)
        ):
            frequencies = torch.linspace(0, float(sample_rate) / 2, values.shape[0])
    if label is None and getattr(feature, "scale", None) == "db":
        label = "dB (as given)"
    as_given = label is not None
    label = label or "value"
    if values.is_complex():
        values, power = values.abs(), 1.0
    else:
        power = getattr(feature, "power", None) or _attribute(layer, "power") or 2.0
    values = values.to(torch.float64)
    if db and not is_cepstrum and not as_given:
        multiplier = 20.0 / float(power)
        values = amplitude_to_db(values, multiplier=multiplier, ref="max", amin=1e-20, top_db=80.0)
        label = f"dB re max ({multiplier:g} log10 of {_what(power)})"
    if ax is None:
        figure, ax = plt.subplots(figsize=(8, 4))
    else:
        figure = ax.figure
    if time_offset is None:
        centred = _attribute(layer, "center") in (None, True)
        time_offset = (0.0 if centred else _half_frame(layer)) / sample_rate
    times = (np.arange(values.shape[1] + 1) - 0.5) * hop_length / sample_rate + time_offset
    if frequencies is None:
        rows = np.arange(values.shape[0] + 1) - 0.5
        ax.set_ylabel(rows_label)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        centres = torch.as_tensor(frequencies, dtype=torch.float64).numpy()
        rows = _edges(centres)
        ax.set_ylabel("frequency (Hz)")
        steps = np.diff(centres)
        mel_layer = getattr(layer, "mel_scale", None)
        scaled = False
        if mel_layer is not None and hasattr(mel_layer, "mel_scale"):  # a mel axis
            kind = mel_layer.mel_scale
            ax.set_yscale(
                "function",
                functions=(
                    lambda hz: TF.hz_to_mel(torch.as_tensor(hz).clamp_min(0), kind).numpy(),
                    lambda mel: TF.mel_to_hz(torch.as_tensor(mel), kind).numpy(),
                ),
            )
            scaled = True
        elif rows[0] > 0 and len(steps) and not np.allclose(steps, steps[0]):  # CQT, log STFT
            ax.set_yscale("log")
            scaled = True
        if scaled:
            low, high = float(rows[0]), float(rows[-1])
            if note_names:
                ticks, names = _octave_ticks(low, high)
            else:
                position = ax.yaxis.get_transform().transform
                ticks = _spread(_hz_ticks(low, high), position, low, high)
                names = [_hz_label(t) for t in ticks]
            ax.yaxis.set_major_locator(FixedLocator(ticks))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.set_yticks(ticks, names)
    mesh = ax.pcolormesh(times, rows, values.numpy(), shading="flat", cmap="magma")
    ax.set_xlabel("time (s)")
    if title:
        ax.set_title(title)
    figure.colorbar(mesh, ax=ax, label=label)
    return figure


def _attribute(layer: nn.Module | None, name: str) -> Any:
    """``layer.name``, else the same attribute of its first sub-layer that has it."""
    if layer is None:
        return None
    if getattr(layer, name, None) is not None:
        return getattr(layer, name)
    for child in layer.children():
        found = _attribute(child, name)
        if found is not None:
            return found
    return None


def _half_frame(layer: nn.Module | None) -> float:
    n_fft = _attribute(layer, "n_fft")
    return float(n_fft) / 2 if n_fft else 0.0


def _what(power: float) -> str:
    if power == 2.0:
        return "power"
    if power == 1.0:
        return "magnitude"
    return f"magnitude ** {power:g}"


def _hz_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks in Hz between ``low`` and ``high`` (20, 50, 100, 200, 500, 1k, ...)."""
    ticks = []
    for decade in range(0, 6):
        for step in (1, 2, 5):
            value = step * 10.0**decade
            if low <= value <= high:
                ticks.append(value)
    return ticks


def _spread(
    ticks: list[float], position: Any, low: float, high: float, *, gap: float = 0.045
) -> list[float]:
    """The ticks that keep ``gap`` of the axis ``[low, high]`` (in its scale, e.g. mel)
    between neighbours, so that labels never overlap (20, 50 and 100 Hz on a mel axis). Powers
    of ten are placed first, then the 2s, then the 5s."""
    if len(ticks) < 2:
        return ticks
    ends = np.asarray(position(np.asarray([low, high], dtype=np.float64)), dtype=np.float64)
    span = float(ends[1] - ends[0]) or 1.0

    def place(tick: float) -> float:
        return float(np.asarray(position(np.asarray([tick], dtype=np.float64))).ravel()[0])

    def lead(tick: float) -> int:
        decade: float = 10.0 ** math.floor(math.log10(tick) + 1e-9)
        return round(tick / decade)

    kept: list[float] = []
    for digit in (1, 2, 5):
        for tick in ticks:
            if lead(tick) == digit and all(
                abs(place(tick) - place(other)) >= gap * span for other in kept
            ):
                kept.append(tick)
    return sorted(kept)


def _hz_label(value: float) -> str:
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


def _octave_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """The C of every octave between ``low`` and ``high`` Hz: ``C1`` is 32.70 Hz (MIDI 24)."""
    ticks, names = [], []
    for octave in range(-1, 11):
        hz = 440.0 * 2.0 ** ((12 * (octave + 1) - 69) / 12)
        if low <= hz <= high:
            ticks.append(hz)
            names.append(f"C{octave}")
    return ticks, names


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges halfway between centres (geometric halfway for positive centres)."""
    if len(centres) == 1:
        return np.array([centres[0] * 0.9, centres[0] * 1.1])
    if centres[0] > 0:
        logs = np.log(centres)
        mids = (logs[1:] + logs[:-1]) / 2
        edges: np.ndarray = np.exp(
            np.concatenate([[2 * logs[0] - mids[0]], mids, [2 * logs[-1] - mids[-1]]])
        )
        return edges
    mids = (centres[1:] + centres[:-1]) / 2
    return np.concatenate(
        [[centres[0] - (mids[0] - centres[0])], mids, [2 * centres[-1] - mids[-1]]]
    )
