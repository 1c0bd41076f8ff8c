"""Descriptors of audio, one module per family (spectral shape, onset, chroma,
harmonic/percussive)."""

from .chroma import ChromaSTFT
from .hpss import HPSS
from .onset import FourierTempogram, OnsetStrength, Tempogram
from .shape import (
    RMS,
    SpectralBandwidth,
    SpectralCentroid,
    SpectralFlatness,
    SpectralRolloff,
    ZeroCrossingRate,
)

__all__ = [
    "HPSS",
    "RMS",
    "ChromaSTFT",
    "FourierTempogram",
    "OnsetStrength",
    "SpectralBandwidth",
    "SpectralCentroid",
    "SpectralFlatness",
    "SpectralRolloff",
    "Tempogram",
    "ZeroCrossingRate",
]
