"""torchspec: audio time-frequency layers for PyTorch.

STFT as a strided convolution with fixed or trainable Fourier kernels, a log-frequency STFT, the
inverse STFT, and heads on top (mel, MFCC, LFCC, decibels), all ``nn.Module`` layers with
torchaudio's names and defaults.
"""

from .audio import AudioLoadError, load
from .cqt import CQT, VQT
from .griffinlim import GriffinLim
from .inverse import InverseCQT, InverseMelScale, InverseMFCC
from .mel import LFCC, MFCC, MelScale, MelSpectrogram
from .plotting import plot
from .scaling import AmplitudeToDB, amplitude_to_db
from .spectrogram import InverseSpectrogram, Spectrogram

__all__ = [
    "CQT",
    "LFCC",
    "MFCC",
    "VQT",
    "AmplitudeToDB",
    "AudioLoadError",
    "GriffinLim",
    "InverseCQT",
    "InverseMFCC",
    "InverseMelScale",
    "InverseSpectrogram",
    "MelScale",
    "MelSpectrogram",
    "Spectrogram",
    "amplitude_to_db",
    "load",
    "plot",
]
__version__ = "0.1.0"
