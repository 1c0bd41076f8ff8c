"""Descriptors of audio, one module per family (spectral shape, onset, chroma)."""

from .chroma import ChromaSTFT
from .onset import OnsetStrength
from .shape import (
    RMS,
    SpectralBandwidth,
    SpectralCentroid,
    SpectralFlatness,
    SpectralRolloff,
    ZeroCrossingRate,
)

__all__ = [
    "RMS",
    "ChromaSTFT",
    "OnsetStrength",
    "SpectralBandwidth",
    "SpectralCentroid",
    "SpectralFlatness",
    "SpectralRolloff",
    "ZeroCrossingRate",
]
