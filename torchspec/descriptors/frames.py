"""Descriptors of the samples of each frame: level (``librosa.feature.rms``) and sign changes
(``librosa.feature.zero_crossing_rate``)."""

import torch
import torch.nn.functional as F
from torch import Tensor

from ..checks import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_waveform,
    compute_dtype,
)
from ..functional.padding import pad_last
from ..functional.spectral import as_input_dtype
from ..tracing import scripting


def _check_frames(
    y: Tensor, frame_length: int, center: bool, name: str, pad_mode: str = "constant"
) -> None:
    reach = frame_length // 2
    if center and pad_mode in ("reflect", "circular") and y.shape[-1] <= reach:
        raise ValueError(
            f"{name}(pad_mode='{pad_mode}') pads {reach} samples on each side and needs more "
            f"than {reach} samples to do so, got {y.shape[-1]} (shape {tuple(y.shape)}); use "
            "pad_mode='constant'"
        )
    padded = y.shape[-1] + (2 * reach if center else 0)
    if padded < frame_length:
        raise ValueError(
            f"{name}(frame_length={frame_length}) needs at least {frame_length} samples"
            f"{' after centring' if center else ''}, got {y.shape[-1]} (shape "
            f"{tuple(y.shape)})"
        )


class RMS(torch.nn.Module):
    """``librosa.feature.rms(y=...)``: the root-mean-square of each frame of samples.

    Args (keyword-only, librosa's defaults): ``frame_length`` 2048, ``hop_length`` 512,
    ``center`` True (pad ``frame_length // 2`` on both sides), ``pad_mode`` ``"constant"``
    (or ``"reflect"``, ``"replicate"``: librosa's ``"edge"``, ``"circular"``: ``"wrap"``).

    Shapes: input ``(..., time)``; output ``(..., 1, frames)``.
    """

    def __init__(
        self,
        *,
        frame_length: int = 2048,
        hop_length: int = 512,
        center: bool = True,
        pad_mode: str = "constant",
    ) -> None:
        super().__init__()
        self.frame_length = check_int("frame_length", frame_length, minimum=1)
        self.hop_length = check_int("hop_length", hop_length, minimum=1)
        self.center = check_bool("center", center)
        self.pad_mode = check_choice(
            "pad_mode",
            PAD_ALIASES.get(pad_mode, pad_mode),
            ("constant", "reflect", "replicate", "circular"),
        )

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 1, frames)``."""
        if not scripting():
            check_waveform(y, "RMS")
            _check_frames(y, self.frame_length, self.center, "RMS", self.pad_mode)
        x = y.to(compute_dtype(y.dtype))
        if self.center:
            reach = self.frame_length // 2
            x = pad_last(x, reach, reach, self.pad_mode)
        # the mean square of each frame as a strided convolution (no frames cut out)
        flat = x.reshape(-1, 1, x.shape[-1]).square()
        mean = torch.full((1, 1, self.frame_length), 1.0 / self.frame_length, dtype=x.dtype)
        power = F.conv1d(flat, mean.to(x.device), stride=self.hop_length)
        out = power.sqrt().reshape(x.shape[:-1] + power.shape[-2:])
        return as_input_dtype(out, y.dtype)


class ZeroCrossingRate(torch.nn.Module):
    """``librosa.feature.zero_crossing_rate``: the fraction of each frame's samples where the
    sign changes (``|x| <= threshold`` counts as 0, and 0 as positive).

    Args (keyword-only, librosa's defaults): ``frame_length`` 2048, ``hop_length`` 512,
    ``center`` True (pad ``frame_length // 2`` on both sides by repeating the edge samples,
    as librosa does), ``threshold`` 1e-10.

    Shapes: input ``(..., time)``; output ``(..., 1, frames)`` in [0, 1]. Not
    differentiable (a count).
    """

    def __init__(
        self,
        *,
        frame_length: int = 2048,
        hop_length: int = 512,
        center: bool = True,
        threshold: float = 1e-10,
    ) -> None:
        super().__init__()
        self.frame_length = check_int("frame_length", frame_length, minimum=2)
        self.hop_length = check_int("hop_length", hop_length, minimum=1)
        self.center = check_bool("center", center)
        self.threshold = check_number("threshold", threshold, at_least=0.0)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 1, frames)``."""
        if not scripting():
            check_waveform(y, "ZeroCrossingRate")
            _check_frames(y, self.frame_length, self.center, "ZeroCrossingRate")
        if self.center:
            reach = self.frame_length // 2
            y = pad_last(y, reach, reach, "replicate")
        return _crossing_rate(y, self.frame_length, self.hop_length, self.threshold)


def _crossing_rate(y: Tensor, frame_length: int, hop_length: int, threshold: float) -> Tensor:
    """:func:`~torchspec.functional.zero_crossing_rate` of the frames of ``(..., time)``
    without cutting them: the sign changes are found once along the signal and summed over
    each frame's ``frame_length - 1`` pairs (an exact count), NaN where a frame holds one."""
    lead = y.shape[:-1]
    flat = y.reshape(-1, 1, y.shape[-1])
    negative = torch.signbit(torch.where(flat.abs() <= threshold, 0.0, flat))
    changes = (negative[..., 1:] != negative[..., :-1]).to(torch.float32)
    ones = torch.ones(1, 1, frame_length, dtype=torch.float32, device=y.device)
    counts = F.conv1d(changes, ones[..., 1:], stride=hop_length)  # sums of 0/1: exact
    rate = (counts / frame_length).to(y.dtype)
    nan = F.conv1d(flat.isnan().to(torch.float32), ones, stride=hop_length) > 0
    rate = torch.where(nan, torch.nan, rate)
    return rate.reshape(lead + rate.shape[-2:])


PAD_ALIASES = {"edge": "replicate", "wrap": "circular"}
