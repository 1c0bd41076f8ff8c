"""SpecAugment: random frequency and time masks. Drop-ins for torchaudio's ``FrequencyMasking``,
``TimeMasking`` and ``SpecAugment`` (same arguments, same draws under the same seed), with an
optional ``torch.Generator`` for masks that repeat without touching the global seed."""

import torch
from torch import Tensor, nn

from .checks import check_bool, check_int, check_number, check_spectrogram
from .functional.augment import mask_along_axis, mask_along_axis_iid
from .tracing import scripting


class _AxisMasking(nn.Module):
    """A band of rows (``axis=1``) or frames (``axis=2``) set to a value."""

    def __init__(self, mask_param: int, axis: int, iid_masks: bool, p: float) -> None:
        super().__init__()
        self.mask_param, self.axis, self.iid_masks, self.p = mask_param, axis, iid_masks, p

    def forward(
        self,
        specgram: Tensor,
        mask_value: float | Tensor = 0.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Args:
            specgram: ``(..., freq, time)`` real; at least 3-D with ``iid_masks=True``.
            mask_value: the value written into the band (a float or a 0-d tensor).
            generator: the draws' generator (None: the global one). Shared masks draw on
                the CPU, per-item masks on the input's device: pass a generator there.

        Returns:
            The masked spectrogram, the input's shape and dtype.
        """
        if not scripting():
            check_spectrogram(specgram, None, type(self).__name__)
        axis = self.axis + specgram.dim() - 3
        if self.iid_masks:
            return mask_along_axis_iid(
                specgram, self.mask_param, mask_value, axis, self.p, generator
            )
        return mask_along_axis(specgram, self.mask_param, mask_value, axis, self.p, generator)

    def extra_repr(self) -> str:
        return f"mask_param={self.mask_param}, iid_masks={self.iid_masks}, p={self.p}"


class FrequencyMasking(_AxisMasking):
    """Mask a random band of frequency rows (SpecAugment). Drop-in for torchaudio's
    ``FrequencyMasking``.

    The band is ``[start, start + width)`` with ``width = floor(u1 * freq_mask_param)`` and
    ``start = floor(u2 * (n_freq - u1 * freq_mask_param))``, ``u1, u2`` uniform on [0, 1).

    Args:
        freq_mask_param: largest band width, in rows (0 masks nothing).
        iid_masks: one band per item of a batch (input at least 3-D: ``(batch, ..., freq,
            time)``) instead of one band shared by all. Default False.

    Shapes:
        input ``(..., freq, time)``; output the same.
    """

    def __init__(self, freq_mask_param: int, iid_masks: bool = False) -> None:
        super().__init__(
            check_int("freq_mask_param", freq_mask_param, minimum=0),
            1,
            check_bool("iid_masks", iid_masks),
            1.0,
        )


class TimeMasking(_AxisMasking):
    """Mask a random band of time frames (SpecAugment). Drop-in for torchaudio's
    ``TimeMasking``.

    The band is drawn as :class:`FrequencyMasking`'s, along time, its largest width
    ``min(time_mask_param, floor(p * n_frames))``.

    Args:
        time_mask_param: largest band width, in frames (0 masks nothing).
        iid_masks: one band per item of a batch (input at least 3-D). Default False.
        p: largest fraction of the frames one band may cover, in [0, 1]. Default 1.0.

    Shapes:
        input ``(..., freq, time)``; output the same.
    """

    def __init__(self, time_mask_param: int, iid_masks: bool = False, p: float = 1.0) -> None:
        super().__init__(
            check_int("time_mask_param", time_mask_param, minimum=0),
            2,
            check_bool("iid_masks", iid_masks),
            check_number("p", p, at_least=0.0, at_most=1.0),
        )


class SpecAugment(nn.Module):
    """``n_time_masks`` time masks then ``n_freq_masks`` frequency masks (Park et al., 2019).
    Drop-in for torchaudio's ``SpecAugment``.

    Args:
        n_time_masks: number of time masks, >= 0.
        time_mask_param: largest time mask width, in frames.
        n_freq_masks: number of frequency masks, >= 0.
        freq_mask_param: largest frequency mask width, in rows.
        iid_masks: masks drawn per item for input of 3 dims or more. Default True.
        p: largest fraction of the axis one mask may cover, in [0, 1]. Default 1.0.
        zero_masking: masks hold 0 (True) or the mean of the whole input tensor (False, the
            default: as torchaudio, the mean of everything passed in one call, so an item's
            mask value depends on the rest of its batch).

    Shapes:
        input ``(..., freq, time)``; output the same.
    """

    def __init__(
        self,
        n_time_masks: int,
        time_mask_param: int,
        n_freq_masks: int,
        freq_mask_param: int,
        iid_masks: bool = True,
        p: float = 1.0,
        zero_masking: bool = False,
    ) -> None:
        super().__init__()
        self.n_time_masks = check_int("n_time_masks", n_time_masks, minimum=0)
        self.time_mask_param = check_int("time_mask_param", time_mask_param, minimum=0)
        self.n_freq_masks = check_int("n_freq_masks", n_freq_masks, minimum=0)
        self.freq_mask_param = check_int("freq_mask_param", freq_mask_param, minimum=0)
        self.iid_masks = check_bool("iid_masks", iid_masks)
        self.p = check_number("p", p, at_least=0.0, at_most=1.0)
        self.zero_masking = check_bool("zero_masking", zero_masking)

    def forward(self, specgram: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Args: specgram ``(..., freq, time)`` real; generator for the draws (None: the
        global one). Returns the masked spectrogram."""
        if not scripting():
            check_spectrogram(specgram, None, "SpecAugment")
        value = torch.zeros((), dtype=specgram.dtype, device=specgram.device)
        if not self.zero_masking:
            value = specgram.mean()
        time_dim = specgram.dim() - 1
        freq_dim = time_dim - 1
        iid = specgram.dim() > 2 and self.iid_masks
        for _ in range(self.n_time_masks):
            if iid:
                specgram = mask_along_axis_iid(
                    specgram, self.time_mask_param, value, time_dim, self.p, generator
                )
            else:
                specgram = mask_along_axis(
                    specgram, self.time_mask_param, value, time_dim, self.p, generator
                )
        for _ in range(self.n_freq_masks):
            if iid:
                specgram = mask_along_axis_iid(
                    specgram, self.freq_mask_param, value, freq_dim, self.p, generator
                )
            else:
                specgram = mask_along_axis(
                    specgram, self.freq_mask_param, value, freq_dim, self.p, generator
                )
        return specgram

    def extra_repr(self) -> str:
        return (
            f"n_time_masks={self.n_time_masks}, time_mask_param={self.time_mask_param}, "
            f"n_freq_masks={self.n_freq_masks}, freq_mask_param={self.freq_mask_param}, "
            f"iid_masks={self.iid_masks}, p={self.p}, zero_masking={self.zero_masking}"
        )
