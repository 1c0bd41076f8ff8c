"""Back from features: InverseMelScale (batched non-negative least squares), InverseMFCC
(cepstrum to mel spectrogram) and InverseCQT (librosa.icqt's transpose synthesis)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from . import filters
from .base import ExactBuffersModule
from .checks import check_choice, check_int, compute_dtype
from .cqt import C1_HZ, wavelet_plan
from .mel import _check_spectrogram, mel_filterbank_checked


def nnls(matrix: Tensor, target: Tensor, *, pinv: Tensor, lipschitz: float, n_iter: int) -> Tensor:
    """Batched non-negative least squares ``min ||matrix @ X - target|| s.t. X >= 0``.

    Accelerated projected gradient (FISTA) from the clipped minimum-norm solution
    ``relu(pinv @ target)`` (librosa's starting point for its L-BFGS-B).

    Args:
        matrix: ``(m, n)``.
        target: ``(..., m, k)``: every column is a separate problem.
        pinv: ``(n, m)`` pseudo-inverse of ``matrix``.
        lipschitz: ``||matrix||_2 ** 2``, the step size's inverse.
        n_iter: iterations, >= 0.

    Returns:
        ``(..., n, k)`` non-negative.
    """
    x = torch.relu(torch.matmul(pinv, target))
    y, t = x, 1.0
    for _ in range(n_iter):
        gradient = torch.matmul(matrix.t(), torch.matmul(matrix, y) - target)
        x_next = torch.relu(y - gradient / lipschitz)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        y = x_next + ((t - 1) / t_next) * (x_next - x)
        x, t = x_next, t_next
    return x


class InverseMelScale(ExactBuffersModule):
    """Linear-frequency spectrogram from a mel spectrogram, by non-negative least squares.

    Solves ``min ||fb.T @ X - mel||`` over ``X >= 0`` for every frame at once on the device (as
    librosa.feature.inverse.mel_to_stft, without its power root), with ``fb`` the filterbank of
    :class:`~torchspec.MelScale` built from the same arguments. The input and output are in the
    same power (a power mel spectrogram gives a power linear spectrogram).

    Args:
        n_stft: number of STFT bins, ``n_fft // 2 + 1``, >= 2.
        n_mels, sample_rate, f_min, f_max, norm, mel_scale: as :class:`~torchspec.MelScale`.

    Keyword-only args:
        n_iter: accelerated projected-gradient iterations, >= 0. Default 1000: mel residual
            below 1e-3 relative for 128 mels from 1025 bins on both mel scales (the HTK
            filterbank converges slowest: 3e-3 after 300 iterations, 7e-4 after 600).
        device, dtype: where and in which dtype the filterbank is held.

    Shapes: input ``(..., n_mels, time)`` non-negative; output ``(..., n_stft, time)``.

    Differs from torchaudio's, which solves unconstrained least squares and clips negatives to
    zero afterwards: that leaves a mel residual of several percent.
    """

    def __init__(
        self,
        n_stft: int,
        n_mels: int = 128,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: float | None = None,
        norm: str | None = None,
        mel_scale: str = "htk",
        *,
        n_iter: int = 1000,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("n_iter", n_iter, minimum=0)
        bank, _, f_max = mel_filterbank_checked(
            n_mels, sample_rate, f_min, f_max, n_stft, norm, mel_scale
        )
        matrix = bank.t().contiguous()  # (n_mels, n_stft)
        self.register_exact_buffer("fb", bank, dtype=dtype, device=device)
        self.register_exact_buffer(
            "pinv", torch.linalg.pinv(matrix), dtype=dtype, device=device, persistent=False
        )
        self._lipschitz = float(torch.linalg.matrix_norm(matrix, ord=2) ** 2)
        self.n_stft, self.n_mels, self.n_iter = n_stft, n_mels, n_iter
        self.sample_rate, self.f_min, self.f_max = sample_rate, f_min, f_max

    def forward(self, melspec: Tensor) -> Tensor:
        """Args: melspec ``(..., n_mels, time)``. Returns ``(..., n_stft, time)``."""
        _check_spectrogram(melspec, self.n_mels, "InverseMelScale")
        if bool((melspec < 0).any()):
            raise ValueError("InverseMelScale expects a non-negative mel spectrogram")
        dtype = compute_dtype(melspec.dtype)
        out = nnls(
            self.fb.to(dtype).t(),
            melspec.to(dtype),
            pinv=self.pinv.to(dtype),
            lipschitz=self._lipschitz,
            n_iter=self.n_iter,
        )
        return out.to(melspec.dtype)


class InverseMFCC(ExactBuffersModule):
    """Mel power spectrogram from MFCCs: undo the lifter, inverse DCT, dB to power.

    As librosa.feature.inverse.mfcc_to_mel: the ``n_mfcc`` coefficients are zero-extended to
    ``n_mels`` before the inverse DCT, so what the truncation dropped stays lost. With
    ``log_mels`` (as in :class:`~torchspec.MFCC`) the inverse of ``log(mel + 1e-6)`` is used.

    Args:
        n_mfcc: number of coefficients in the input, in ``[1, n_mels]``.
        n_mels: number of mel bands to return. Default 128.
        dct_type: 2 (default) or 3, the type used by the forward DCT.
        norm: ``"ortho"`` (default) or None, as the forward DCT.
        log_mels: the MFCCs were taken of ``log(mel + 1e-6)`` instead of dB. Default False.

    Keyword-only args:
        lifter: the forward lifter to undo (0: none).
        device, dtype: where and in which dtype the matrix is held.

    Shapes: input ``(..., n_mfcc, time)``; output ``(..., n_mels, time)``.
    """

    def __init__(
        self,
        n_mfcc: int,
        n_mels: int = 128,
        dct_type: int = 2,
        norm: str | None = "ortho",
        log_mels: bool = False,
        *,
        lifter: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("n_mels", n_mels, minimum=1)
        check_int("n_mfcc", n_mfcc, minimum=1)
        if n_mfcc > n_mels:
            raise ValueError(f"n_mfcc must be <= n_mels ({n_mels}), got {n_mfcc}")
        check_choice("dct_type", dct_type, (2, 3))
        check_choice("norm", norm, (None, "ortho"))
        if not lifter >= 0:
            raise ValueError(f"lifter must be >= 0, got {lifter!r}")
        # The inverse of DCT-II is DCT-III and vice versa; unnormalised pairs carry 1 / (2N).
        inverse = filters.dct_matrix(n_mels, n_mels, dct_type=5 - dct_type, norm=norm)
        if norm is None:
            inverse = inverse / (2 * n_mels)
        matrix = inverse[:n_mfcc]  # (n_mfcc, n_mels): coefficients beyond n_mfcc are zero
        if lifter > 0:
            k = torch.arange(1, n_mfcc + 1, dtype=torch.float64)
            matrix = matrix / (1.0 + (lifter / 2) * torch.sin(math.pi * k / lifter))[:, None]
        self.register_exact_buffer("idct_mat", matrix, dtype=dtype, device=device)
        self.n_mfcc, self.n_mels, self.log_mels = n_mfcc, n_mels, bool(log_mels)

    def forward(self, mfcc: Tensor) -> Tensor:
        """Args: mfcc ``(..., n_mfcc, time)``. Returns ``(..., n_mels, time)``."""
        _check_spectrogram(mfcc, self.n_mfcc, "InverseMFCC")
        dtype = compute_dtype(mfcc.dtype)
        logmel = torch.matmul(self.idct_mat.to(dtype).t(), mfcc.to(dtype))
        mel = torch.exp(logmel) - 1e-6 if self.log_mels else torch.pow(10.0, logmel / 10.0)
        return mel.to(mfcc.dtype)


class InverseCQT(ExactBuffersModule):
    """Approximate inverse of :class:`~torchspec.CQT`, as librosa.icqt.

    Octave by octave from the bottom (at the octave's rate: halved per octave while the hop is
    even), the CQT frames are mapped back to Fourier frames through the conjugate transpose of
    librosa's FFT wavelet basis (sparsified as librosa's ``sparsity``), weighted by each bin's
    inverse energy, ``sqrt(L)`` scale and ``n_fft / L``; an inverse STFT with a rectangular
    window turns them into a signal, which is upsampled to ``sample_rate`` (exact band-limited
    interpolation by FFT) and summed. Differentiable; runs batched on any device.

    It is the transpose of the analysis, not a least-squares inverse: like librosa's it is close
    to exact only where frames overlap densely (a hop well below the shortest filter) and bins
    overlap (e.g. 24 per octave, hop 64: about 40 dB on tones).

    Args:
        sample_rate, hop_length, f_min, n_bins, bins_per_octave: as :class:`~torchspec.CQT`.

    Keyword-only args:
        filter_scale, norm, window, scale: as :class:`~torchspec.CQT`.
        sparsity: fraction of each basis row's L1 mass dropped, in ``[0, 1)``. Default 0.01
            (librosa's).
        device, dtype: where and in which dtype the bases are held.

    Shapes: input ``(..., n_bins, frames)`` complex; output ``(..., time)``.
    """

    def __init__(
        self,
        sample_rate: float = 22050,
        hop_length: int = 512,
        f_min: float = C1_HZ,
        n_bins: int = 84,
        bins_per_octave: int = 12,
        *,
        filter_scale: float = 1.0,
        norm: float | None = 1,
        window: str = "hann",
        scale: bool = True,
        sparsity: float = 0.01,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("hop_length", hop_length, minimum=1)
        check_choice("norm", norm, (1, 2, math.inf, None))
        if not 0 <= sparsity < 1:
            raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
        freqs, alpha, lengths = wavelet_plan(
            sample_rate,
            f_min,
            n_bins,
            bins_per_octave,
            gamma=0.0,
            filter_scale=filter_scale,
            window=window,
        )
        n_octaves = -(-n_bins // bins_per_octave)
        rates, hops = [float(sample_rate)], [hop_length]
        for _ in range(n_octaves - 1):  # librosa: halve the rate per octave while the hop is even
            halve = hops[0] % 2 == 0
            rates.insert(0, rates[0] / 2 if halve else rates[0])
            hops.insert(0, hops[0] // 2 if halve else hops[0])
        self._octaves: list[tuple[int, int, int, int]] = []  # (start, end, hop, upsampling)
        for i, (rate, hop) in enumerate(zip(rates, hops, strict=True)):
            start, end = i * bins_per_octave, min(n_bins, (i + 1) * bins_per_octave)
            at_rate = filters.wavelet_lengths(
                freqs[start:end],
                alpha[start:end],
                sample_rate=rate,
                filter_scale=filter_scale,
                gamma=0.0,
            )
            basis = filters.wavelet_basis(
                freqs[start:end], at_rate, sample_rate=rate, window=window, norm=norm
            )
            n_fft = basis.shape[-1]
            basis = basis * (at_rate[:, None] / n_fft)
            spectrum = filters.sparsify_rows(torch.fft.fft(basis)[:, : n_fft // 2 + 1], sparsity)
            inverse = spectrum.conj().t()  # (freq, bins)
            weight = n_fft / lengths[start:end] / inverse.abs().square().sum(0)
            if scale:
                weight = weight * lengths[start:end].sqrt()
            self.register_exact_buffer(
                f"synthesis_{i}",
                torch.view_as_real(inverse * weight),
                dtype=dtype,
                device=device,
                persistent=False,
            )
            self._octaves.append((start, end, hop, round(sample_rate / rate)))
        self.sample_rate, self.hop_length, self.n_bins = float(sample_rate), hop_length, n_bins
        self.bins_per_octave, self._longest = bins_per_octave, float(lengths.max())

    def forward(self, cqt: Tensor, length: int | None = None) -> Tensor:
        """Args: cqt ``(..., n_bins, frames)`` complex; length: output samples.

        Returns ``(..., time)``.
        """
        if not isinstance(cqt, Tensor) or not cqt.is_complex():
            raise TypeError("InverseCQT expects a complex CQT (CQT(power=None))")
        if cqt.dim() < 2 or cqt.shape[-2] != self.n_bins:
            raise ValueError(
                f"InverseCQT expects shape (..., {self.n_bins}, frames); got {tuple(cqt.shape)}"
            )
        if length is not None:
            check_int("length", length, minimum=1)
            cqt = cqt[..., : math.ceil((length + self._longest) / self.hop_length)]
        if cqt.dtype == torch.complex128:
            dtype = torch.float64
        else:
            dtype, cqt = torch.float32, cqt.to(torch.complex64)
        lead = cqt.shape[:-2]
        cqt = cqt.reshape(-1, *cqt.shape[-2:])
        y: Tensor | None = None
        for i, (start, end, hop, up) in enumerate(self._octaves):
            synthesis = torch.view_as_complex(getattr(self, f"synthesis_{i}").to(dtype))
            frames = torch.matmul(synthesis, cqt[:, start:end])  # (batch, freq, frames)
            part = _upsample(_rectangular_istft(frames, hop), up)
            if y is None:
                y = part
            else:
                y = torch.cat([y[:, : part.shape[-1]] + part, y[:, part.shape[-1] :]], dim=-1)
        assert y is not None
        if length is not None:
            y = y[:, :length] if y.shape[-1] >= length else F.pad(y, (0, length - y.shape[-1]))
        return y.reshape(*lead, y.shape[-1])


def _rectangular_istft(frames: Tensor, hop: int) -> Tensor:
    """librosa.istft(frames, window="ones", hop_length=hop) for any hop, gaps included:
    overlap-add of the inverse real FFTs, divided by the number of frames covering each
    sample where it is nonzero, centre padding removed.

    Args:
        frames: ``(batch, n_fft // 2 + 1, n_frames)`` complex.

    Returns:
        ``(batch, hop * (n_frames - 1))``.
    """
    n_fft = 2 * (frames.shape[-2] - 1)
    n_frames = frames.shape[-1]
    pieces = torch.fft.irfft(frames, n=n_fft, dim=-2)  # (batch, n_fft, n_frames)
    total = n_fft + hop * (n_frames - 1)

    def overlap_add(columns: Tensor) -> Tensor:
        return F.fold(columns, (1, total), kernel_size=(1, n_fft), stride=(1, hop))[:, 0, 0]

    y = overlap_add(pieces)
    cover = overlap_add(torch.ones_like(pieces[:1]))
    y = torch.where(cover > 0, y / cover.clamp_min(1), y)
    return y[:, n_fft // 2 : total - n_fft // 2]


def _upsample(signal: Tensor, factor: int) -> Tensor:
    """Band-limited interpolation by an integer ``factor``: the spectrum zero-extended."""
    if factor == 1:
        return signal
    size = signal.shape[-1]
    spectrum = torch.fft.rfft(signal)
    return torch.fft.irfft(spectrum, n=size * factor) * factor
