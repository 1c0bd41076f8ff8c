"""Pure-function twins of every torchspec layer and every filterbank builder.

Layers validate their parameters, build their buffers with the builders below and call these
functions in ``forward``; nothing is computed twice. Names follow ``torchaudio.functional``
where torchaudio has the function, librosa's otherwise. Builders return float64 CPU tensors.
"""

from .cepstral import cepstrum, mfcc_to_mel
from .cqt import decimate_kernels, decimated_copies, icqt, vqt_direct, vqt_multirate
from .filterbanks import (
    CQT_WINDOWS,
    MEL_SCALES,
    cqt_frequencies,
    cqt_kernels,
    create_dct,
    erb_gamma,
    fourier_kernels,
    hz_to_mel,
    inverse_fourier_kernels,
    lifter_weights,
    linear_bins,
    linear_edges,
    linear_fbanks,
    log_frequencies,
    make_window,
    mel_frequencies,
    mel_to_hz,
    melscale_fbanks,
    pad_window,
    parametric_triangles,
    relative_bandwidth,
    sparsify_kernels,
    sparsify_rows,
    triangular_filterbank,
    wavelet_basis,
    wavelet_lengths,
)
from .filtering import apply_filterbank, filterbank_pinv, inverse_filterbank, nnls
from .griffinlim import griffinlim
from .pcen import max_filter, pcen, smooth, smoothing_coefficient
from .resample import upsample
from .scaling import DB_to_amplitude, amplitude_to_DB, amplitude_to_db
from .spectral import (
    inverse_spectrogram,
    magnitude_power,
    spectrogram,
    squared_magnitude,
)

__all__ = [
    "CQT_WINDOWS",
    "MEL_SCALES",
    "DB_to_amplitude",
    "amplitude_to_DB",
    "amplitude_to_db",
    "apply_filterbank",
    "cepstrum",
    "cqt_frequencies",
    "cqt_kernels",
    "create_dct",
    "decimate_kernels",
    "decimated_copies",
    "erb_gamma",
    "filterbank_pinv",
    "fourier_kernels",
    "griffinlim",
    "hz_to_mel",
    "icqt",
    "inverse_filterbank",
    "inverse_fourier_kernels",
    "inverse_spectrogram",
    "lifter_weights",
    "linear_bins",
    "linear_edges",
    "linear_fbanks",
    "log_frequencies",
    "magnitude_power",
    "make_window",
    "max_filter",
    "mel_frequencies",
    "mel_to_hz",
    "melscale_fbanks",
    "mfcc_to_mel",
    "nnls",
    "pad_window",
    "parametric_triangles",
    "pcen",
    "relative_bandwidth",
    "smooth",
    "smoothing_coefficient",
    "sparsify_kernels",
    "sparsify_rows",
    "spectrogram",
    "squared_magnitude",
    "triangular_filterbank",
    "upsample",
    "vqt_direct",
    "vqt_multirate",
    "wavelet_basis",
    "wavelet_lengths",
]
