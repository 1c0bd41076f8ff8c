"""Drawing a feature with correct axes (needs the ``plot`` extra: matplotlib)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from . import functional as TF
from .functional.scaling import amplitude_to_db


def plot(
    feature: Tensor,
    layer: nn.Module | None = None,
    *,
    sample_rate: float,
    hop_length: int,
    frequencies: Tensor | None = None,
    db: bool = True,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Draw a ``(freq, frames)`` feature: time in seconds, frequency in Hz, a dB colour bar.

    Rows are placed at their centre frequencies (``frequencies``, or ``layer.frequencies``):
    a linear STFT gets a linear axis, a log-frequency STFT, CQT or mel layer a logarithmic one.
    Features without frequencies (MFCC) are drawn against their coefficient index.

    Args:
        feature: ``(freq, frames)`` power, magnitude or coefficients.
        layer: the layer that computed it (for its ``frequencies`` and power).
        sample_rate, hop_length: to put frame ``t`` at ``t * hop_length / sample_rate`` s.
        db: show power / magnitude in dB (10 log10 for power 2, 20 log10 otherwise, 80 dB range).
        ax: a matplotlib Axes to draw into; a new figure otherwise.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    values = feature.detach().float().cpu()
    if values.dim() != 2:
        raise ValueError(f"plot expects a (freq, frames) feature, got shape {tuple(values.shape)}")
    from .cepstrum import MFCC

    is_cepstrum = isinstance(layer, MFCC)
    if frequencies is None and layer is not None and not is_cepstrum:
        frequencies = getattr(layer, "frequencies", None)
    if db and not is_cepstrum:
        power = getattr(layer, "power", 2.0)
        if power is None:
            power = getattr(getattr(layer, "spectrogram", None), "power", 2.0)
        values = amplitude_to_db(values, multiplier=10.0 if power == 2.0 else 20.0, top_db=80.0)
    if ax is None:
        figure, ax = plt.subplots(figsize=(8, 4))
    else:
        figure = ax.figure
    times = np.arange(values.shape[1] + 1) * hop_length / sample_rate
    if frequencies is None:
        rows = np.arange(values.shape[0] + 1) - 0.5
        ax.set_ylabel("coefficient")
    else:
        centres = torch.as_tensor(frequencies, dtype=torch.float64).numpy()
        rows = _edges(centres)
        ax.set_ylabel("frequency (Hz)")
        steps = np.diff(centres)
        mel_layer = getattr(layer, "mel_scale", None)
        if mel_layer is not None and hasattr(mel_layer, "mel_scale"):  # a mel axis
            kind = mel_layer.mel_scale
            ax.set_yscale(
                "function",
                functions=(
                    lambda hz: TF.hz_to_mel(torch.as_tensor(hz), kind).numpy(),
                    lambda mel: TF.mel_to_hz(torch.as_tensor(mel), kind).numpy(),
                ),
            )
        elif rows[0] > 0 and not np.allclose(steps, steps[0]):  # geometric: CQT, log STFT
            ax.set_yscale("log")
    mesh = ax.pcolormesh(times, rows, values.numpy(), shading="flat", cmap="magma")
    ax.set_xlabel("time (s)")
    if title:
        ax.set_title(title)
    figure.colorbar(mesh, ax=ax, label="dB" if db and not is_cepstrum else "value")
    return figure


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
