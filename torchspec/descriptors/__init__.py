"""Descriptors of audio, one module per family (spectral shape, frame level, onset and
tempo, pitch class, harmonic/percussive)."""

from .chroma import ChromaCENS, ChromaCQT, ChromaSTFT, ChromaVQT, Tonnetz
from .frames import RMS, ZeroCrossingRate
from .hpss import HPSS
from .onset import FourierTempogram, OnsetStrength, OnsetStrengthMulti, Tempogram
from .shape import (
    LibrosaSpectralCentroid,
    PolyFeatures,
    SpectralBandwidth,
    SpectralCentroid,
    SpectralContrast,
    SpectralFlatness,
    SpectralRolloff,
)

__all__ = [
    "HPSS",
    "RMS",
    "ChromaCENS",
    "ChromaCQT",
    "ChromaSTFT",
    "ChromaVQT",
    "FourierTempogram",
    "LibrosaSpectralCentroid",
    "OnsetStrength",
    "OnsetStrengthMulti",
    "PolyFeatures",
    "SpectralBandwidth",
    "SpectralCentroid",
    "SpectralContrast",
    "SpectralFlatness",
    "SpectralRolloff",
    "Tempogram",
    "Tonnetz",
    "ZeroCrossingRate",
]
