"""Descriptors computed from a spectrogram, one module per family (spectral shape, onset)."""

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
    "OnsetStrength",
    "SpectralBandwidth",
    "SpectralCentroid",
    "SpectralFlatness",
    "SpectralRolloff",
    "ZeroCrossingRate",
]
