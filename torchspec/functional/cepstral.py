"""Cepstra as functions: filterbank energies to coefficients and back."""

import torch
from torch import Tensor

from ..checks import compute_dtype
from .scaling import amplitude_to_db
from .spectral import as_input_dtype

LOG_OFFSET = 1e-6  # added before the natural log when log_mels / log_lf is True (torchaudio's)


def cepstrum(energies: Tensor, dct_mat: Tensor, log: bool, top_db: float = 80.0) -> Tensor:
    """DCT of log filterbank energies: MFCC from a mel spectrogram, LFCC from linear filters.

    ``dct_mat.T @ dB(energies)`` with the dB floored ``top_db`` below each item's peak
    (librosa.feature.mfcc(S=power_to_db(mel))), or of ``log(energies + 1e-6)`` when ``log``.

    Args:
        energies: ``(..., n_bands, frames)`` non-negative power; half precision is computed in
            float32.
        dct_mat: ``(n_bands, n_coefficients)``, :func:`create_dct` times the lifter.

    Returns:
        ``(..., n_coefficients, frames)`` in the dtype of ``energies``.
    """
    x = energies.to(compute_dtype(energies.dtype))
    if log:
        x = torch.log(x + 1e-6)  # LOG_OFFSET: TorchScript reads no float globals
    else:
        x = amplitude_to_db(x, multiplier=10.0, ref=1.0, amin=1e-10, top_db=top_db)
    return torch.matmul(dct_mat.to(x.dtype).t(), x).to(energies.dtype)


def mfcc_to_mel(mfcc: Tensor, idct_mat: Tensor, log: bool) -> Tensor:
    """Mel power spectrogram from cepstral coefficients (librosa.feature.inverse.mfcc_to_mel).

    Args:
        mfcc: ``(..., n_mfcc, frames)``.
        idct_mat: ``(n_mfcc, n_mels)`` inverse DCT with the lifter undone.
        log: the coefficients are of ``log(mel + 1e-6)`` (else of dB).

    Returns:
        ``(..., n_mels, frames)`` in the dtype of ``mfcc``.
    """
    dtype = compute_dtype(mfcc.dtype)
    logmel = torch.matmul(idct_mat.to(dtype).t(), mfcc.to(dtype))
    # 1e-6 is LOG_OFFSET, written out: TorchScript reads no float globals
    mel = torch.exp(logmel) - 1e-6 if log else torch.pow(10.0, logmel / 10.0)
    return as_input_dtype(mel, mfcc.dtype)
