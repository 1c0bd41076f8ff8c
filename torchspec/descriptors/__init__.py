"""Descriptors computed from a spectrogram, one module per family (spectral shape, ...)."""

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
    "SpectralBandwidth",
    "SpectralCentroid",
    "SpectralFlatness",
    "SpectralRolloff",
    "ZeroCrossingRate",
]
