"""openai-whisper's log-mel spectrogram (``whisper.audio.log_mel_spectrogram``), batched."""

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..blocks import in_item_groups
from ..checks import (
    check_bool,
    check_choice,
    check_waveform,
    compute_dtype,
)
from ..mel import MelScale
from ..spectrogram import Spectrogram
from ..tracing import scripting

WHISPER_SAMPLE_RATE, WHISPER_N_FFT, WHISPER_HOP = 16000, 400, 160
WHISPER_SAMPLES = 30 * WHISPER_SAMPLE_RATE  # 30 s chunks: 3000 frames


def whisper_window(length: int) -> Tensor:
    """Whisper's window, ``torch.hann_window(length)`` evaluated in float32 as whisper does.

    Its values differ from the correctly rounded periodic Hann window by up to one float32 ulp.
    The layer holds exactly these values (in float64 too: whisper's constants are float32
    numbers), which makes the float32 log-mel equal whisper's to 2.4e-7 instead of 3e-5: in
    bins 60-80 dB down, one ulp of window changes the leakage."""
    return torch.hann_window(length, dtype=torch.float32)


class WhisperLogMel(nn.Module):
    """Whisper's normalised log-mel spectrogram (openai-whisper ``log_mel_spectrogram``).

    ``|STFT|**2`` (n_fft 400, hop 160, whisper's float32 periodic Hann window, centred, reflect
    padding) without its last frame, Slaney-normalised Slaney-scale mel filters
    (librosa.filters.mel at 16 kHz), ``log10(max(mel, 1e-10))`` floored 8 below the item's
    maximum, then ``(x + 4) / 4``. Unlike whisper's function, the maximum is taken per item, so
    batching changes nothing.

    Args:
        n_mels: 80 (Whisper v1-v3 base models) or 128 (large-v3).

    Keyword-only args:
        pad_or_trim: pad with zeros or cut every item to 30 s first (3000 frames), as
            ``whisper.pad_or_trim`` and the Hugging Face ``WhisperFeatureExtractor`` do.
        device, dtype: where and in which dtype the window and filters are held.

    Shapes: input ``(..., time)`` at 16 kHz; output ``(..., n_mels, time // 160)``.
    """

    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies"]

    def __init__(
        self,
        n_mels: int = 80,
        *,
        pad_or_trim: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.n_mels = check_choice("n_mels", n_mels, (80, 128))
        self.pad_or_trim = check_bool("pad_or_trim", pad_or_trim)
        self.n_samples = WHISPER_SAMPLES  # pad_or_trim's length (TorchScript reads no globals)
        self.spectrogram = Spectrogram(
            WHISPER_N_FFT,
            hop_length=WHISPER_HOP,
            window_fn=whisper_window,
            device=device,
            dtype=dtype,
        )
        self.mel_scale = MelScale(
            n_mels,
            WHISPER_SAMPLE_RATE,
            n_stft=WHISPER_N_FFT // 2 + 1,
            norm="slaney",
            mel_scale="slaney",
            device=device,
            dtype=dtype,
        )

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every mel band in Hz, ``(n_mels,)`` float64."""
        return self.mel_scale.frequencies

    def log_mel(self, waveform: Tensor) -> Tensor:
        """``log10(max(mel, 1e-10))`` of every frame, the last one included (frame-local);
        computed in float32 for half-precision input (1e-10 is 0 in float16)."""
        if not scripting():
            check_waveform(waveform, "WhisperLogMel")
        dtype, waveform = waveform.dtype, waveform.to(compute_dtype(waveform.dtype))
        if self.pad_or_trim:
            length, samples = waveform.shape[-1], self.n_samples
            waveform = (
                waveform[..., :samples]
                if length >= samples
                else F.pad(waveform, (0, samples - length))
            )
        return self.frame_log_mel(waveform).to(dtype)

    def frame_log_mel(self, waveform: Tensor) -> Tensor:
        """``log10(max(mel, 1e-10))`` of every frame of ``waveform`` as it is (no padding or
        trimming to 30 s, no normalisation): what a stream of this layer gives
        (:func:`torchspec.stream`). ``(..., time) -> (..., n_mels, 1 + time // 160)``."""
        dtype, x = waveform.dtype, waveform.to(compute_dtype(waveform.dtype))
        mel = self.mel_scale(self.spectrogram(x))
        return torch.clamp(mel, min=1e-10).log10().to(dtype)

    @staticmethod
    def normalise(log_mel: Tensor) -> Tensor:
        """Drop the last frame, floor 8 below each item's maximum, map to ``(x + 4) / 4``."""
        log_mel = log_mel[..., :-1]
        peak = log_mel.amax(dim=(-2, -1), keepdim=True)
        return (torch.maximum(log_mel, peak - 8.0) + 4.0) / 4.0

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)`` at 16 kHz. Returns ``(..., n_mels, frames)``.

        On the CPU, outside torch.compile/export/tracing, a batch runs a few items at a time
        (:mod:`torchspec.blocks`): the same values, about 1.8x faster than the whole batch.
        """
        if not scripting():
            check_waveform(waveform, "WhisperLogMel")
            samples = self.n_samples if self.pad_or_trim else waveform.shape[-1]
            frames = samples // WHISPER_HOP + 1
            out = in_item_groups(self.forward, waveform, frames * WHISPER_N_FFT, whole_below=0)
            if out is not None:
                return out
        return self.normalise(self.log_mel(waveform))

    def extra_repr(self) -> str:
        return f"n_mels={self.n_mels}, pad_or_trim={self.pad_or_trim}"
