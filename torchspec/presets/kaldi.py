"""Kaldi's filterbank and MFCC features (``compute-fbank-feats``, ``compute-mfcc-feats``) with
``torchaudio.compliance.kaldi``'s parameter names and defaults, batched."""

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from .. import functional as TF
from ..base import ExactBuffersModule
from ..blocks import eager_cpu, item_groups, row_pieces
from ..checks import (
    check_bool,
    check_choice,
    check_device,
    check_device_arg,
    check_dtype,
    check_int,
    check_number,
    check_waveform,
    compute_dtype,
)
from ..functional.noise import draw_key, frame_noise
from ..tracing import scripting

KALDI_WINDOWS = ("povey", "hanning", "hamming", "rectangular", "blackman")
FLOAT32_EPSILON = torch.finfo(torch.float32).eps  # Kaldi's floor inside logs


def kaldi_mel_banks(
    num_bins: int, padded_window: int, sample_frequency: float, low_freq: float, high_freq: float
) -> Tensor:
    """Kaldi's triangular mel banks over ``padded_window // 2 + 1`` FFT bins (the Nyquist bin
    weighted 0), triangles in mel ``1127 ln(1 + f / 700)`` between equally spaced mel edges.

    Evaluated in float32 arithmetic, as Kaldi (``BaseFloat``) and torchaudio.compliance.kaldi
    evaluate them, so float64 features agree with those references to rounding. The one
    transcendental step, the logarithm, is taken in float64 and rounded to float32: float32
    ``log`` kernels differ by an ulp between CPUs (AVX2 and AVX-512 builds), and the banks must
    not depend on the machine.

    Returns:
        ``(padded_window // 2 + 1, num_bins)`` float64 holding float32 values.
    """
    f32 = torch.float32
    mel_low = 1127.0 * math.log(1.0 + low_freq / 700.0)
    mel_high = 1127.0 * math.log(1.0 + high_freq / 700.0)
    delta = (mel_high - mel_low) / (num_bins + 1)
    index = torch.arange(num_bins).unsqueeze(1)
    left = mel_low + index * delta
    centre = mel_low + (index + 1.0) * delta
    right = mel_low + (index + 2.0) * delta
    bin_width = sample_frequency / padded_window
    ratio = 1.0 + bin_width * torch.arange(padded_window // 2, dtype=f32) / 700.0
    mel = 1127.0 * ratio.double().log().to(f32)
    up = (mel - left) / (centre - left)
    down = (right - mel) / (right - centre)
    bank = torch.clamp(torch.minimum(up, down), min=0.0).to(f32)
    return F.pad(bank, (0, 1)).t().to(torch.float64)


def kaldi_dct(num_ceps: int, num_mel_bins: int, cepstral_lifter: float) -> Tensor:
    """Kaldi's cepstrum matrix: the orthonormal DCT-II (first ``num_ceps`` columns) times the
    lifter ``1 + Q/2 sin(pi i / Q)`` of coefficient ``i`` (from 0), both evaluated in float32
    as torchaudio.compliance.kaldi (and Kaldi's ``BaseFloat``) evaluate them.

    Returns:
        ``(num_mel_bins, num_ceps)`` float64 holding float32 values.
    """
    n = torch.arange(float(num_mel_bins))
    k = torch.arange(float(num_mel_bins)).unsqueeze(1)
    dct = torch.cos(math.pi / float(num_mel_bins) * (n + 0.5) * k)
    dct[0] *= 1.0 / math.sqrt(2.0)
    dct *= math.sqrt(2.0 / float(num_mel_bins))
    matrix = dct.t()[:, :num_ceps]
    matrix[:, 0] = math.sqrt(1 / float(num_mel_bins))
    if cepstral_lifter == 0:
        return matrix.to(torch.float64)
    i = torch.arange(num_ceps)
    lifter = 1.0 + 0.5 * cepstral_lifter * torch.sin(math.pi * i / cepstral_lifter)
    return matrix.to(torch.float64) * lifter.to(torch.float64)  # the product in float64


def kaldi_window(window_type: str, size: int, blackman_coeff: float) -> Tensor:
    """Kaldi's frame windows (symmetric), in float64: ``povey`` is a Hann window to the 0.85."""
    f64 = torch.float64
    if window_type == "hanning":
        return torch.hann_window(size, periodic=False, dtype=f64)
    if window_type == "povey":
        return torch.hann_window(size, periodic=False, dtype=f64).pow(0.85)
    if window_type == "hamming":
        return torch.hamming_window(size, periodic=False, alpha=0.54, beta=0.46, dtype=f64)
    if window_type == "rectangular":
        return torch.ones(size, dtype=f64)
    a = 2 * math.pi / (size - 1)
    n = torch.arange(size, dtype=f64)
    return blackman_coeff - 0.5 * torch.cos(a * n) + (0.5 - blackman_coeff) * torch.cos(2 * a * n)


def kaldi_log(x: Tensor, floor: float = FLOAT32_EPSILON) -> Tensor:
    """``log(max(x, float32 eps))``, Kaldi's log of energies (the floor a default argument:
    TorchScript reads no float globals)."""
    return x.clamp_min(floor).log()


def kaldi_frames(x: Tensor, size: int, shift: int, snip_edges: bool) -> Tensor:
    """Kaldi's framing of ``(batch, time)``: ``(batch, frames, size)``.

    ``snip_edges``: only frames that fit, ``1 + (time - size) // shift``. Otherwise
    ``(time + shift // 2) // shift`` frames, the signal mirrored at both ends (sample ``-1`` is
    sample ``0``: symmetric, not reflect).
    """
    length = x.shape[-1]
    if snip_edges:
        return x.unfold(-1, size, shift)
    count = (length + shift // 2) // shift
    pad = size // 2 - shift // 2
    if count == 0:
        return x.new_zeros(list(x.shape[:-1]) + [0, size])
    if length < size:
        # Shorter than a frame: reflect the index again and again, as Kaldi's ExtractWindow
        # does (index i -> -i - 1 below 0, 2 * length - 1 - i above).
        index = torch.arange(count)[:, None] * shift - pad + torch.arange(size)
        index = index.remainder(2 * length)
        index = torch.where(index < length, index, 2 * length - 1 - index).to(x.device)
        return x[:, index]  # x is (batch, time)
    # One mirror at each end suffices; a whole frame of tail mirror, so the padded length does
    # not depend on ``length % shift`` (no shape-dependent branch: export keeps time dynamic).
    head = x[..., :pad].flip(-1) if pad > 0 else x[..., :0]
    x = torch.cat([head, x if pad >= 0 else x[..., -pad:], x.flip(-1)[..., :size]], dim=-1)
    return x.unfold(-1, size, shift)[..., :count, :]


class KaldiFbank(ExactBuffersModule):
    """Kaldi filterbank features (``compute-fbank-feats``), batched.

    Parameter names and defaults are ``torchaudio.compliance.kaldi.fbank``'s (times in ms, the
    sample rate ``sample_frequency``). Per frame: optional dither, DC removal, the raw log
    energy, pre-emphasis ``x[n] - c x[n - 1]``, the window, zero padding to a power of two, the
    power (or magnitude) spectrum, Kaldi's mel banks and ``log(max(., float32 eps))``.

    Args (keyword-only):
        sample_frequency: Hz. Default 16000.
        frame_length, frame_shift: ms. Default 25 and 10.
        num_mel_bins: > 3. Default 23.
        low_freq: Hz. Default 20. high_freq: Hz; <= 0 means that much below Nyquist.
            Default 0 (Nyquist).
        preemphasis_coefficient: in ``[0, 1]``. Default 0.97.
        remove_dc_offset, raw_energy, round_to_power_of_two, snip_edges, use_energy,
        use_log_fbank, use_power, htk_compat, subtract_mean: as Kaldi. Defaults True, True,
            True, True, False, True, True, False, False.
        window_type: ``"povey"`` (default), ``"hanning"``, ``"hamming"``, ``"rectangular"``
            or ``"blackman"`` (with ``blackman_coeff``, default 0.42).
        energy_floor: floor of the log energy (as energy). Default 1.0.
        dither: Gaussian dither amplitude, in ``[0, 1e6]``. Default 0.0 (Kaldi's binaries use 1.0).
        device, dtype: where and in which dtype the window and banks are held.

    Shapes: input ``(..., time)`` (samples at ``sample_frequency``, any scale; Kaldi reads
    16-bit integers, so pass ``int16_audio.float()`` or ``float_audio * 32768`` for Kaldi's
    numbers); output ``(..., frames, num_mel_bins + use_energy)``.
    """

    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies"]

    window: Tensor
    mel_banks: Tensor

    def __init__(
        self,
        *,
        sample_frequency: float = 16000.0,
        frame_length: float = 25.0,
        frame_shift: float = 10.0,
        num_mel_bins: int = 23,
        low_freq: float = 20.0,
        high_freq: float = 0.0,
        preemphasis_coefficient: float = 0.97,
        remove_dc_offset: bool = True,
        raw_energy: bool = True,
        round_to_power_of_two: bool = True,
        snip_edges: bool = True,
        use_energy: bool = False,
        use_log_fbank: bool = True,
        use_power: bool = True,
        htk_compat: bool = False,
        subtract_mean: bool = False,
        window_type: str = "povey",
        blackman_coeff: float = 0.42,
        energy_floor: float = 1.0,
        dither: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        sample_frequency = check_number("sample_frequency", sample_frequency, above=0)
        frame_length = check_number("frame_length", frame_length, above=0)
        frame_shift = check_number("frame_shift", frame_shift, above=0)
        round_to_power_of_two = check_bool("round_to_power_of_two", round_to_power_of_two)
        low_freq = check_number("low_freq", low_freq, at_least=0)
        high_freq = check_number("high_freq", high_freq)
        blackman_coeff = check_number("blackman_coeff", blackman_coeff)
        flags = {
            name: check_bool(name, value)
            for name, value in (
                ("remove_dc_offset", remove_dc_offset),
                ("raw_energy", raw_energy),
                ("snip_edges", snip_edges),
                ("use_energy", use_energy),
                ("use_log_fbank", use_log_fbank),
                ("use_power", use_power),
                ("htk_compat", htk_compat),
                ("subtract_mean", subtract_mean),
            )
        }
        dtype, device = check_dtype(dtype), check_device_arg(device)
        self.name = type(self).__name__  # for messages (TorchScript has no type().__name__)
        self.size = int(sample_frequency * frame_length * 0.001)
        self.shift = int(sample_frequency * frame_shift * 0.001)
        if self.size < 2:
            raise ValueError(f"frame_length gives {self.size} samples; it needs at least 2")
        if self.shift < 1:
            raise ValueError(f"frame_shift gives {self.shift} samples; it needs at least 1")
        self.padded = 1 << (self.size - 1).bit_length() if round_to_power_of_two else self.size
        if self.padded % 2:
            raise ValueError(
                f"the frame of {self.padded} samples must be even: use round_to_power_of_two "
                "or another frame_length"
            )
        preemphasis_coefficient = check_number(
            "preemphasis_coefficient", preemphasis_coefficient, at_least=0, at_most=1
        )
        num_mel_bins = check_int("num_mel_bins", num_mel_bins, minimum=4)
        window_type = check_choice("window_type", window_type, KALDI_WINDOWS)
        nyquist = 0.5 * sample_frequency
        high = high_freq + nyquist if high_freq <= 0.0 else high_freq
        if not (0.0 <= low_freq < nyquist and 0.0 < high <= nyquist and low_freq < high):
            raise ValueError(
                f"need 0 <= low_freq < high_freq <= Nyquist ({nyquist} Hz); got low_freq "
                f"{low_freq}, high_freq {high_freq} (= {high} Hz)"
            )
        # Kaldi's dither is a noise amplitude in sample units (1.0 for int16-scaled audio); the
        # bound, far above any use, keeps the noise's power spectrum finite in float32.
        dither = check_number("dither", dither, at_least=0, at_most=1e6)
        energy_floor = check_number("energy_floor", energy_floor, at_least=0)
        self.sample_frequency, self.num_mel_bins = sample_frequency, num_mel_bins
        self.low_freq, self.high_freq = low_freq, high
        self.preemphasis_coefficient = preemphasis_coefficient
        self.remove_dc_offset, self.raw_energy = flags["remove_dc_offset"], flags["raw_energy"]
        self.snip_edges, self.use_energy = flags["snip_edges"], flags["use_energy"]
        self.use_log_fbank, self.use_power = flags["use_log_fbank"], flags["use_power"]
        self.htk_compat, self.subtract_mean = flags["htk_compat"], flags["subtract_mean"]
        self.window_type, self.energy_floor, self.dither = window_type, energy_floor, dither
        self.register_exact_buffer(
            "window",
            kaldi_window(window_type, self.size, blackman_coeff),
            dtype=dtype,
            device=device,
        )
        banks = kaldi_mel_banks(num_mel_bins, self.padded, sample_frequency, low_freq, high)
        self.register_exact_buffer("mel_banks", banks, dtype=dtype, device=device)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every mel bin in Hz, ``(num_mel_bins,)`` float64."""
        low = 1127.0 * math.log(1.0 + self.low_freq / 700.0)
        high = 1127.0 * math.log(1.0 + self.high_freq / 700.0)
        step = (high - low) / (self.num_mel_bins + 1)
        centre = low + step * torch.arange(1, self.num_mel_bins + 1, dtype=torch.float64)
        return 700.0 * (torch.exp(centre / 1127.0) - 1.0)

    def n_frames(self, samples: int) -> int:
        """Frames for ``samples`` samples."""
        if self.snip_edges:
            return max(0, 1 + (samples - self.size) // self.shift)
        return (samples + self.shift // 2) // self.shift

    def _log_energy(self, frames: Tensor) -> Tensor:
        energy = kaldi_log(frames.square().sum(-1))
        if self.energy_floor > 0:
            energy = energy.clamp_min(math.log(self.energy_floor))
        return energy

    def analyse(
        self,
        waveform: Tensor,
        generator: torch.Generator | None = None,
        noise_key: int | None = None,
        first_frame: int = 0,
    ) -> tuple[Tensor, Tensor | None]:
        """``(..., frames, bins)`` mel energies (log or not) and, with ``use_energy``, the
        ``(..., frames)`` log energy (None without).

        The dither (:func:`torchspec.functional.noise.frame_noise`) of frame ``t`` of item
        ``i`` is a function of a key, ``i`` and ``first_frame + t``: the key is drawn from
        ``generator`` (one draw) unless ``noise_key`` gives it. A stream passes the key it drew
        at the signal's start and the number of its first frame, so that its frames equal the
        whole signal's under the same generator.

        On the CPU, outside torch.compile/export/tracing, the frames run in cache-sized blocks
        (:mod:`torchspec.blocks`): the same values, about 4x faster than the whole batch at once.
        """
        if not scripting():
            empty = self._eager_checks(waveform)
            if empty is not None:
                return empty
        lead = list(waveform.shape[:-1])
        need = self.size if self.snip_edges else 1
        if waveform.shape[-1] < need:
            raise ValueError(
                f"{self.name}: {waveform.shape[-1]} samples is shorter than one frame "
                f"({self.size} samples); use snip_edges=False or a longer input"
            )
        dtype = compute_dtype(waveform.dtype)
        length = waveform.shape[-1]
        frames = kaldi_frames(
            waveform.to(dtype).reshape(-1, length), self.size, self.shift, self.snip_edges
        )
        count = frames.shape[-2]
        if count == 0:  # fewer than shift / 2 samples: no frame, as Kaldi
            mel = frames.new_zeros(lead + [0, self.num_mel_bins])
            return mel, frames.new_zeros(lead + [0]) if self.use_energy else None
        if self.dither != 0.0:
            key = draw_key(generator) if noise_key is None else noise_key
            noise = frame_noise(key, list(frames.shape), first_frame, dtype, frames.device)
            frames = frames + self.dither * noise
        window = F.pad(self.window.to(dtype), [0, self.padded - self.size])
        # A multiple of 8 columns: the product runs twice as fast as with Kaldi's 23.
        banks = self.mel_banks.to(dtype)
        banks = F.pad(banks, [0, -banks.shape[-1] % 8])
        if not scripting():  # noqa: SIM102 (TorchScript folds a bare ``not scripting()`` only)
            if eager_cpu(frames):
                return self._analyse_in_blocks(frames, window, banks, lead)
        mel, energy = self._frame_features(frames, window, banks)
        return mel.reshape(lead + [count, -1]), None if energy is None else energy.reshape(
            lead + [count]
        )

    def _analyse_in_blocks(
        self,
        frames: Tensor,
        window: Tensor,
        banks: Tensor,
        lead: list[int],
    ) -> tuple[Tensor, Tensor | None]:
        """:meth:`_frame_features` over cache-sized blocks of ``(items, frames, size)``, joined
        into :meth:`analyse`'s shapes."""
        count = frames.shape[-2]
        bands = [  # a band of items, cut into pieces of frames
            [
                self._frame_features(frames[items, rows], window, banks)
                for rows in row_pieces(count, self.padded)
            ]
            for items in item_groups(frames.shape[0], count * self.padded)
        ]
        mel = torch.cat([torch.cat([m for m, _ in band], dim=1) for band in bands])
        if not self.use_energy:
            return mel.reshape(lead + [count, -1]), None
        energy = torch.cat(
            [torch.cat([e for _, e in band if e is not None], dim=1) for band in bands]
        )
        return mel.reshape(lead + [count, -1]), energy.reshape(lead + [count])

    def _frame_features(
        self,
        frames: Tensor,
        window: Tensor,
        banks: Tensor,
    ) -> tuple[Tensor, Tensor | None]:
        """``(items, n, size)`` dithered frames to ``(items, n, num_mel_bins)`` mel energies
        and, with ``use_energy``, the ``(items, n)`` log energy; ``window`` zero-padded to the
        FFT size, ``banks`` with extra zero columns."""
        if self.remove_dc_offset:
            frames = frames - frames.mean(-1, keepdim=True)
        energy: Tensor | None = None
        if self.use_energy and self.raw_energy:
            energy = self._log_energy(frames)
        coefficient = self.preemphasis_coefficient
        parts = [frames]
        if coefficient != 0.0:  # x[n] - c x[n - 1], with x[-1] = x[0]
            parts = [
                frames[..., :1] * (1.0 - coefficient),
                torch.sub(frames[..., 1:], frames[..., :-1], alpha=coefficient),
            ]
        if self.padded > self.size:  # zero padding to the FFT size
            parts.append(frames.new_zeros(list(frames.shape[:-1]) + [self.padded - self.size]))
        framed = torch.cat(parts, dim=-1) * window
        if self.use_energy and not self.raw_energy:
            energy = self._log_energy(framed)
        spectrum = torch.fft.rfft(framed)
        power = TF.squared_magnitude(spectrum.real, spectrum.imag)
        if not self.use_power:
            power = power.sqrt()
        mel = torch.matmul(power, banks)[..., : self.num_mel_bins]
        if self.use_log_fbank:
            mel = kaldi_log(mel)
        return mel, energy

    def _eager_checks(self, waveform: Tensor) -> tuple[Tensor, Tensor | None] | None:
        """Input checks with messages, and the output of an empty batch (None otherwise)."""
        check_waveform(waveform, self.name, int16_scaled=False)
        check_device(waveform, self.window, self.name)
        lead = waveform.shape[:-1]
        if all(size != 0 for size in lead):
            return None
        mel, energy = self.analyse(waveform.new_zeros(waveform.shape[-1:]))  # one zero item
        return (
            mel.new_empty((*lead, *mel.shape)),
            None if energy is None else energy.new_empty((*lead, *energy.shape)),
        )

    def forward(
        self,
        waveform: Tensor,
        generator: torch.Generator | None = None,
        noise_key: int | None = None,
        first_frame: int = 0,
    ) -> Tensor:
        """Args: waveform ``(..., time)``; generator for the dither (its noise key is one draw
        from it; equal generators give equal dither, on any device and batch blocking);
        ``noise_key`` and ``first_frame`` as :meth:`analyse` (for streams).

        Returns ``(..., frames, num_mel_bins + use_energy)`` in the input's dtype (float32 for
        half precision).
        """
        mel, energy = self.analyse(waveform, generator, noise_key, first_frame)
        if energy is not None:
            parts = [mel, energy[..., None]] if self.htk_compat else [energy[..., None], mel]
            mel = torch.cat(parts, dim=-1)
        if self.subtract_mean:
            mel = mel - mel.mean(-2, keepdim=True)
        return mel.to(waveform.dtype) if waveform.dtype == torch.float64 else mel

    def extra_repr(self) -> str:
        return (
            f"sample_frequency={self.sample_frequency:g}, frame={self.size}/{self.shift} "
            f"samples, num_mel_bins={self.num_mel_bins}, window_type='{self.window_type}', "
            f"snip_edges={self.snip_edges}"
        )


class KaldiMFCC(KaldiFbank):
    """Kaldi MFCCs (``compute-mfcc-feats``), batched: :class:`KaldiFbank`'s log mel energies,
    the orthonormal DCT-II (first ``num_ceps``), Kaldi's lifter ``1 + Q/2 sin(pi i / Q)``
    for coefficient ``i`` from 0, and the log energy in place of C0 when ``use_energy``.

    Args (keyword-only): as :class:`KaldiFbank`, plus ``num_ceps`` (default 13, at most
    ``num_mel_bins``) and ``cepstral_lifter`` (default 22; 0 for none). ``use_log_fbank`` and
    ``use_power`` are fixed to True, as in Kaldi.

    Shapes: output ``(..., frames, num_ceps)``.
    """

    dct_mat: Tensor

    def __init__(
        self,
        *,
        num_ceps: int = 13,
        cepstral_lifter: float = 22.0,
        num_mel_bins: int = 23,
        subtract_mean: bool = False,
        htk_compat: bool = False,
        use_energy: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **fbank: float | bool | str,
    ) -> None:
        for fixed in ("use_log_fbank", "use_power"):
            if fixed in fbank:
                raise TypeError(f"KaldiMFCC has no {fixed} option (Kaldi fixes it to True)")
        super().__init__(
            num_mel_bins=num_mel_bins,
            use_energy=use_energy,
            device=device,
            dtype=dtype,
            **fbank,  # type: ignore[arg-type]
        )
        num_ceps = check_int("num_ceps", num_ceps, minimum=1, maximum=self.num_mel_bins)
        cepstral_lifter = check_number("cepstral_lifter", cepstral_lifter, at_least=0)
        self.num_ceps, self.cepstral_lifter = num_ceps, cepstral_lifter
        self.mfcc_subtract_mean = check_bool("subtract_mean", subtract_mean)
        self.mfcc_htk_compat = check_bool("htk_compat", htk_compat)
        matrix = kaldi_dct(num_ceps, num_mel_bins, cepstral_lifter)
        if not bool(torch.isfinite(matrix).all()):
            raise ValueError(
                f"cepstral_lifter={cepstral_lifter!r} is too small: sin(pi * i / Q) overflows in "
                "float32; use 0 for no lifter"
            )
        self.register_exact_buffer("dct_mat", matrix, dtype=dtype, device=device)

    def forward(
        self,
        waveform: Tensor,
        generator: torch.Generator | None = None,
        noise_key: int | None = None,
        first_frame: int = 0,
    ) -> Tensor:
        """Args: waveform ``(..., time)``; the rest as :meth:`KaldiFbank.forward`. Returns
        ``(..., frames, num_ceps)``."""
        mel, energy = self.analyse(waveform, generator, noise_key, first_frame)
        ceps = torch.matmul(mel, self.dct_mat.to(mel.dtype))
        if energy is not None:
            ceps = torch.cat([energy[..., None], ceps[..., 1:]], dim=-1)
        if self.mfcc_htk_compat:
            first = ceps[..., :1] if self.use_energy else ceps[..., :1] * math.sqrt(2)
            ceps = torch.cat([ceps[..., 1:], first], dim=-1)
        if self.mfcc_subtract_mean:
            ceps = ceps - ceps.mean(-2, keepdim=True)
        return ceps
