"""Presets, one module per toolkit: the exact features well-known models and toolkits
expect, batched on any device.

Each preset is an ``nn.Module`` taking ``(..., time)``; every item of a batch gets exactly what
the reference computes on that item alone.

- :class:`WhisperLogMel`: openai-whisper's ``log_mel_spectrogram`` (80 or 128 mels).
- :class:`KaldiFbank`, :class:`KaldiMFCC`: Kaldi's ``compute-fbank-feats`` /
  ``compute-mfcc-feats`` with ``torchaudio.compliance.kaldi``'s parameter names and defaults;
  output ``(..., frames, bins)`` like Kaldi.
- :class:`LibrosaMelSpectrogram`, :class:`LibrosaMFCC`: ``librosa.feature.melspectrogram`` /
  ``librosa.feature.mfcc`` with librosa's parameter names and defaults.
- :class:`ASTFbank`: the Audio Spectrogram Transformer's input, as the transformers
  ``ASTFeatureExtractor`` makes it (Kaldi fbank, padded or cut, normalised).
"""

from .ast import ASTFbank
from .kaldi import KaldiFbank, KaldiMFCC
from .librosa import LibrosaMelSpectrogram, LibrosaMFCC
from .whisper import WhisperLogMel

__all__ = [
    "ASTFbank",
    "KaldiFbank",
    "KaldiMFCC",
    "LibrosaMFCC",
    "LibrosaMelSpectrogram",
    "WhisperLogMel",
]
