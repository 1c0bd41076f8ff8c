"""Descriptors computed from a spectrogram, one module per family (spectral shape, ...)."""

from .shape import SpectralCentroid

__all__ = ["SpectralCentroid"]
