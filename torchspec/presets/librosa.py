"""librosa's mel spectrogram and MFCC (``librosa.feature.melspectrogram``, ``mfcc``) with
librosa's parameter names and defaults."""

import torch

from ..cepstrum import MFCC
from ..checks import (
    check_bool,
    check_choice,
    check_number,
)
from ..functional.filterbanks import LIBROSA_WINDOWS
from ..mel import MelSpectrogram


def librosa_mel_kwargs(
    *,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: str | None = "slaney",
) -> dict[str, object]:
    """librosa.feature.melspectrogram's arguments (and defaults) as :class:`MelSpectrogram`'s."""
    window = check_choice("window", window, tuple(LIBROSA_WINDOWS))
    htk = check_bool("htk", htk)
    check_number("fmin", fmin, at_least=0)
    if fmax is not None:
        check_number("fmax", fmax, above=0)
    return {
        "n_fft": n_fft,
        "hop_length": hop_length,
        "win_length": win_length,
        "window_fn": LIBROSA_WINDOWS[window],
        "center": center,
        "pad_mode": pad_mode,
        "power": power,
        "n_mels": n_mels,
        "f_min": fmin,
        "f_max": fmax,
        "mel_scale": "htk" if htk else "slaney",
        "norm": norm,
    }


class LibrosaMelSpectrogram(MelSpectrogram):
    """``librosa.feature.melspectrogram`` with librosa's parameter names and defaults.

    Args (keyword-only): ``sr`` 22050, ``n_fft`` 2048, ``hop_length`` 512, ``win_length``
    None (n_fft), ``window`` ``"hann"`` (or ``"hamming"``, ``"blackman"``), ``center`` True,
    ``pad_mode`` ``"constant"``, ``power`` 2.0, ``n_mels`` 128, ``fmin`` 0.0, ``fmax`` None
    (sr / 2), ``htk`` False, ``norm`` ``"slaney"`` (or None), device, dtype.

    Shapes: input ``(..., time)``; output ``(..., n_mels, frames)``.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **librosa: object,
    ) -> None:
        check_number("sr", sr, above=0)
        super().__init__(
            sr,
            **librosa_mel_kwargs(**librosa),  # type: ignore[arg-type]
            device=device,
            dtype=dtype,
        )


class LibrosaMFCC(MFCC):
    """``librosa.feature.mfcc`` with librosa's parameter names and defaults: the DCT of
    ``librosa.power_to_db`` (ref 1, amin 1e-10, top_db 80) of :class:`LibrosaMelSpectrogram`.

    Args (keyword-only): ``sr`` 22050, ``n_mfcc`` 20, ``dct_type`` 2 (or 3), ``norm``
    ``"ortho"`` (or None), ``lifter`` 0, and every argument of :class:`LibrosaMelSpectrogram`.

    Shapes: input ``(..., time)``; output ``(..., n_mfcc, frames)``.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        n_mfcc: int = 20,
        dct_type: int = 2,
        norm: str | None = "ortho",
        lifter: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **librosa: object,
    ) -> None:
        check_number("sr", sr, above=0)
        super().__init__(
            sr,
            n_mfcc,
            dct_type,
            norm,
            melkwargs=librosa_mel_kwargs(**librosa),  # type: ignore[arg-type]
            lifter=lifter,
            device=device,
            dtype=dtype,
        )
