"""The Audio Spectrogram Transformer's input features (transformers ``ASTFeatureExtractor``):
Kaldi fbank, padded or cut, normalised."""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..checks import (
    check_bool,
    check_int,
    check_number,
    check_waveform,
)
from ..tracing import scripting
from .kaldi import KaldiFbank

AST_MEAN, AST_STD = -4.2677393, 4.5689974  # AudioSet's fbank statistics (transformers' defaults)


class ASTFbank(nn.Module):
    """The Audio Spectrogram Transformer's input features (transformers ``ASTFeatureExtractor``).

    Per item: Kaldi filterbank features (:class:`KaldiFbank`, i.e.
    ``torchaudio.compliance.kaldi.fbank``, with ``window_type="hanning"``, ``num_mel_bins``
    bins and Kaldi's other defaults, no dither), zero frames appended or frames cut to
    ``max_length``, then ``(x - mean) / (2 std)``. Names and defaults are the extractor's.

    Args (keyword-only):
        sampling_rate: Hz. Default 16000.
        num_mel_bins: Default 128.
        max_length: frames (10 ms each). Default 1024.
        do_normalize: apply ``(x - mean) / (2 std)``. Default True.
        mean, std: AudioSet's statistics by default, -4.2677393 and 4.5689974.
        device, dtype: where and in which dtype the window and banks are held.

    Shapes: input ``(..., time)``, at the scale given (the extractor passes audio as loaded,
    in ``[-1, 1]``); output ``(..., max_length, num_mel_bins)``.
    """

    def __init__(
        self,
        *,
        sampling_rate: float = 16000.0,
        num_mel_bins: int = 128,
        max_length: int = 1024,
        do_normalize: bool = True,
        mean: float = AST_MEAN,
        std: float = AST_STD,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.fbank = KaldiFbank(
            sample_frequency=check_number("sampling_rate", sampling_rate, above=0),
            num_mel_bins=num_mel_bins,
            window_type="hanning",
            device=device,
            dtype=dtype,
        )
        self.max_length = check_int("max_length", max_length, minimum=1)
        self.do_normalize = check_bool("do_normalize", do_normalize)
        self.mean = check_number("mean", mean)
        self.std = check_number("std", std, above=0)

    def normalise(self, fbank: Tensor) -> Tensor:
        """``(..., frames, bins)`` fbank: zero frames appended or frames cut to ``max_length``
        (one expression for both: export keeps the frame count dynamic), then normalised."""
        fbank = F.pad(fbank, [0, 0, 0, self.max_length])[..., : self.max_length, :]
        if self.do_normalize:
            fbank = (fbank - self.mean) / (2.0 * self.std)
        return fbank

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., max_length, num_mel_bins)``."""
        if not scripting():  # errors that name this layer, not the KaldiFbank inside it
            check_waveform(waveform, "ASTFbank")
            if waveform.shape[-1] < self.fbank.size:
                raise ValueError(
                    f"ASTFbank: {waveform.shape[-1]} samples is shorter than one 25 ms frame "
                    f"({self.fbank.size} samples at {self.fbank.sample_frequency} Hz)"
                )
        return self.normalise(self.fbank(waveform))

    def extra_repr(self) -> str:
        return (
            f"max_length={self.max_length}, do_normalize={self.do_normalize}, "
            f"mean={self.mean}, std={self.std}"
        )
