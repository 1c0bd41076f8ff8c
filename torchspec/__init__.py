"""torchspec: audio time-frequency layers for PyTorch.

STFT as a strided convolution with fixed or trainable Fourier kernels, a log-frequency STFT, the
inverse STFT, and heads on top (mel, MFCC, LFCC, decibels, CQT/VQT, PCEN), all ``nn.Module``
layers with torchaudio's names and defaults; torchaudio's other time-frequency transforms
(SpecAugment masks, time stretch, pitch shift, deltas, sliding CMN, resampling, emphasis,
spectral centroid); librosa's features (spectral shape, RMS, zero crossings, onset strength,
tempograms, spectral contrast, chroma from the STFT and the CQT, CENS, tonnetz, HPSS, delta,
stack_memory) with librosa's names; learnable frontends
(SincNet's filters, LEAF's Gabor filters, pooling and sPCEN); :mod:`torchspec.functional`
holds their pure-function twins and every filterbank builder.
"""

from . import functional, presets
from .audio import AudioLoadError, load
from .augment import FrequencyMasking, SpecAugment, TimeMasking
from .cepstrum import LFCC, MFCC, InverseMFCC
from .checks import EmptyFilterWarning
from .cmn import SlidingWindowCmn
from .context import StackMemory
from .conv import allow_tf32
from .cqt import CQT, VQT, InverseCQT
from .dataset import FeatureDataset, pad_collate, read_manifest
from .deltas import ComputeDeltas, Delta
from .descriptors import (
    HPSS,
    RMS,
    ChromaCENS,
    ChromaCQT,
    ChromaSTFT,
    ChromaVQT,
    FourierTempogram,
    LibrosaSpectralCentroid,
    OnsetStrength,
    OnsetStrengthMulti,
    PolyFeatures,
    SpectralBandwidth,
    SpectralCentroid,
    SpectralContrast,
    SpectralFlatness,
    SpectralRolloff,
    Tempogram,
    Tonnetz,
    ZeroCrossingRate,
)
from .emphasis import Deemphasis, Preemphasis
from .features import FeatureSpec, recompute
from .frontend_file import load_frontend, save_frontend
from .griffinlim import GriffinLim
from .leaf import LEAF, GaborFilterbank, GaussianLowpass
from .mel import InverseMelScale, MelScale, MelSpectrogram
from .pcen import PCEN
from .plotting import plot
from .resample import Resample
from .scaling import AmplitudeToDB
from .sinc import SincFilterbank
from .spectrogram import InverseSpectrogram, Spectrogram
from .streaming import batch_clips, stream
from .stretch import PitchShift, TimeStretch

__all__ = [
    "CQT",
    "HPSS",
    "LEAF",
    "LFCC",
    "MFCC",
    "PCEN",
    "RMS",
    "VQT",
    "AmplitudeToDB",
    "AudioLoadError",
    "ChromaCENS",
    "ChromaCQT",
    "ChromaSTFT",
    "ChromaVQT",
    "ComputeDeltas",
    "Deemphasis",
    "Delta",
    "EmptyFilterWarning",
    "FeatureDataset",
    "FeatureSpec",
    "FourierTempogram",
    "FrequencyMasking",
    "GaborFilterbank",
    "GaussianLowpass",
    "GriffinLim",
    "InverseCQT",
    "InverseMFCC",
    "InverseMelScale",
    "InverseSpectrogram",
    "LibrosaSpectralCentroid",
    "MelScale",
    "MelSpectrogram",
    "OnsetStrength",
    "OnsetStrengthMulti",
    "PitchShift",
    "PolyFeatures",
    "Preemphasis",
    "Resample",
    "SincFilterbank",
    "SlidingWindowCmn",
    "SpecAugment",
    "SpectralBandwidth",
    "SpectralCentroid",
    "SpectralContrast",
    "SpectralFlatness",
    "SpectralRolloff",
    "Spectrogram",
    "StackMemory",
    "Tempogram",
    "TimeMasking",
    "TimeStretch",
    "Tonnetz",
    "ZeroCrossingRate",
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
