"""Pure-function twins of every torchspec layer and every filterbank builder.

Layers validate their parameters, build their buffers with the builders below and call these
functions in ``forward``; nothing is computed twice. Names follow ``torchaudio.functional``
where torchaudio has the function, librosa's otherwise. Builders return float64 CPU tensors.
"""

from .augment import mask_along_axis, mask_along_axis_iid
from .cepstral import cepstrum, mfcc_to_mel
from .chroma import chroma_filterbank, chroma_stft, estimate_tuning, hz_to_octs, piptrack
from .context import stack_memory
from .cqt import decimate_kernels, decimated_copies, icqt, vqt_direct, vqt_multirate
from .deltas import compute_deltas, delta, savgol_matrices, sliding_window_cmn
from .descriptors import (
    rms,
    rms_from_magnitude,
    spectral_bandwidth,
    spectral_centroid,
    spectral_centroid_of,
    spectral_flatness,
    spectral_rolloff,
    zero_crossing_rate,
)
from .emphasis import deemphasis, preemphasis
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
from .hpss import harmonic_percussive, hpss, median_filter, softmask
from .onset import autocorrelate, onset_strength, tempogram
from .pcen import max_filter, pcen, smooth, smoothing_coefficient
from .resample import (
    RESAMPLING_METHODS,
    apply_resample_kernel,
    resample,
    sinc_resample_kernel,
    upsample,
)
from .scaling import DB_to_amplitude, amplitude_to_DB, amplitude_to_db
from .spectral import (
    inverse_spectrogram,
    magnitude_power,
    spectrogram,
    squared_magnitude,
)
from .vocoder import phase_advance, phase_vocoder

__all__ = [
    "CQT_WINDOWS",
    "MEL_SCALES",
    "RESAMPLING_METHODS",
    "DB_to_amplitude",
    "amplitude_to_DB",
    "amplitude_to_db",
    "apply_filterbank",
    "apply_resample_kernel",
    "autocorrelate",
    "cepstrum",
    "chroma_filterbank",
    "chroma_stft",
    "compute_deltas",
    "cqt_frequencies",
    "cqt_kernels",
    "create_dct",
    "decimate_kernels",
    "decimated_copies",
    "deemphasis",
    "delta",
    "erb_gamma",
    "estimate_tuning",
    "filterbank_pinv",
    "fourier_kernels",
    "griffinlim",
    "harmonic_percussive",
    "hpss",
    "hz_to_mel",
    "hz_to_octs",
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
    "mask_along_axis",
    "mask_along_axis_iid",
    "max_filter",
    "median_filter",
    "mel_frequencies",
    "mel_to_hz",
    "melscale_fbanks",
    "mfcc_to_mel",
    "nnls",
    "onset_strength",
    "pad_window",
    "parametric_triangles",
    "pcen",
    "phase_advance",
    "phase_vocoder",
    "piptrack",
    "preemphasis",
    "relative_bandwidth",
    "resample",
    "rms",
    "rms_from_magnitude",
    "savgol_matrices",
    "sinc_resample_kernel",
    "sliding_window_cmn",
    "smooth",
    "smoothing_coefficient",
    "softmask",
    "sparsify_kernels",
    "sparsify_rows",
    "spectral_bandwidth",
    "spectral_centroid",
    "spectral_centroid_of",
    "spectral_flatness",
    "spectral_rolloff",
    "spectrogram",
    "squared_magnitude",
    "stack_memory",
    "tempogram",
    "triangular_filterbank",
    "upsample",
    "vqt_direct",
    "vqt_multirate",
    "wavelet_basis",
    "wavelet_lengths",
    "zero_crossing_rate",
]
