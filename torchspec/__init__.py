"""torchspec: audio time-frequency layers for PyTorch.

STFT as a strided convolution with fixed or trainable Fourier kernels, a log-frequency STFT, and
the inverse STFT, all ``nn.Module`` layers with torchaudio's names and defaults.
"""

from .spectrogram import InverseSpectrogram, Spectrogram

__all__ = ["InverseSpectrogram", "Spectrogram"]
__version__ = "0.1.0"
