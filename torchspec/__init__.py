"""torchspec: audio time-frequency layers for PyTorch.

STFT as a strided convolution with fixed or trainable Fourier kernels, a log-frequency STFT, the
inverse STFT, and heads on top (mel, MFCC, LFCC, decibels, CQT/VQT, PCEN), all ``nn.Module``
layers with torchaudio's names and defaults; learnable frontends (SincNet's filters, LEAF's
Gabor filters, pooling and sPCEN); :mod:`torchspec.functional` holds their pure-function
twins and every filterbank builder.
"""

from . import functional, presets
from .audio import AudioLoadError, load
from .cepstrum import LFCC, MFCC, InverseMFCC
from .checks import EmptyFilterWarning
from .conv import allow_tf32
from .cqt import CQT, VQT, InverseCQT
from .dataset import FeatureDataset, pad_collate, read_manifest
from .features import FeatureSpec, recompute
from .frontend_file import load_frontend, save_frontend
from .griffinlim import GriffinLim
from .leaf import LEAF, GaborFilterbank, GaussianLowpass
from .mel import InverseMelScale, MelScale, MelSpectrogram
from .pcen import PCEN
from .plotting import plot
from .scaling import AmplitudeToDB
from .sinc import SincFilterbank
from .spectrogram import InverseSpectrogram, Spectrogram
from .streaming import batch_clips, stream

__all__ = [
    "CQT",
    "LEAF",
    "LFCC",
    "MFCC",
    "PCEN",
    "VQT",
    "AmplitudeToDB",
    "AudioLoadError",
    "EmptyFilterWarning",
    "FeatureDataset",
    "FeatureSpec",
    "GaborFilterbank",
    "GaussianLowpass",
    "GriffinLim",
    "InverseCQT",
    "InverseMFCC",
    "InverseMelScale",
    "InverseSpectrogram",
    "MelScale",
    "MelSpectrogram",
    "SincFilterbank",
    "Spectrogram",
    "allow_tf32",
    "batch_clips",
    "functional",
    "load",
    "load_frontend",
    "pad_collate",
    "plot",
    "presets",
    "read_manifest",
    "recompute",
    "save_frontend",
    "stream",
]
__version__ = "0.6.0"
