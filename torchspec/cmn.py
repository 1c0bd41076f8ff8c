"""Sliding-window cepstral mean (and variance) normalisation: Kaldi's ``apply-cmvn-sliding``.
Drop-in for torchaudio's ``SlidingWindowCmn``."""

from torch import Tensor, nn

from .checks import check_bool, check_int, check_spectrogram, empty_batch
from .functional.deltas import sliding_window_cmn
from .tracing import scripting


class SlidingWindowCmn(nn.Module):
    """Subtract from each frame the mean over a window of frames around it (and divide by the
    standard deviation with ``norm_vars``).

    Not centred (default), frame ``t``'s window is ``[max(0, t - cmn_window), max(t + 1,
    min_cmn_window))``: the past ``cmn_window`` frames and the frame itself, at least
    ``min_cmn_window`` frames at the start; centred, ``cmn_window`` frames around ``t``.
    Either way a window is moved, not cut, to fit inside the recording. The window sums are
    running sums in float64: no drift over hours of frames, unlike a float32 running sum.

    Args:
        cmn_window: window length in frames, >= 1. Default 600 (6 s at a 10 ms shift).
        min_cmn_window: shortest window at the start, in frames (``center=False`` only).
            Default 100.
        center: centre the window on the frame. Default False.
        norm_vars: normalise the variance too. Default False.

    Shapes:
        input ``(..., time, freq)`` real (frames on the second-to-last axis, as Kaldi's
        features and :class:`~torchspec.presets.KaldiFbank`'s output); output the same.
    """

    def __init__(
        self,
        cmn_window: int = 600,
        min_cmn_window: int = 100,
        center: bool = False,
        norm_vars: bool = False,
    ) -> None:
        super().__init__()
        self.cmn_window = check_int("cmn_window", cmn_window, minimum=1)
        self.min_cmn_window = check_int("min_cmn_window", min_cmn_window, minimum=0)
        self.center = check_bool("center", center)
        self.norm_vars = check_bool("norm_vars", norm_vars)

    def forward(self, specgram: Tensor) -> Tensor:
        """Args: specgram ``(..., time, freq)``. Returns the normalised features, same shape."""
        if not scripting():
            check_spectrogram(specgram, None, "SlidingWindowCmn")
            empty = empty_batch(specgram, 2, self.forward)
            if empty is not None:
                return empty
        return sliding_window_cmn(
            specgram, self.cmn_window, self.min_cmn_window, self.center, self.norm_vars
        )

    def extra_repr(self) -> str:
        return (
            f"cmn_window={self.cmn_window}, min_cmn_window={self.min_cmn_window}, "
            f"center={self.center}, norm_vars={self.norm_vars}"
        )
