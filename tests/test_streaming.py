"""Streams (torchspec.stream) against the offline layers they stream.

The reference is always the offline layer on the whole signal (itself checked against librosa,
torch.stft and torchaudio elsewhere) and, for KaldiFbank, kaldi-native-fbank's own OnlineFbank.
Tolerances: float64 frames within 1e-12 of the output's peak (the stream runs the same
arithmetic on fewer samples; batched matrix products may round in another order), float32
within 1e-6 of the peak. The multirate CQT route decimates with an FFT over the samples it is
given, whose tapered edges reach further than any finite margin: its stream is held to 1e-8
of the peak in float64 (measured 5e-9) and stated so in the docs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import torchspec
from torchspec import presets

SR = 16000
LENGTH = 4000


def _layers() -> dict[str, Callable[[], torch.nn.Module]]:
    return {
        "power": lambda: torchspec.Spectrogram(n_fft=400, hop_length=160),
        "magnitude-replicate": lambda: torchspec.Spectrogram(
            n_fft=401, hop_length=100, power=1.0, pad_mode="replicate"
        ),
        "complex-constant-pad": lambda: torchspec.Spectrogram(
            n_fft=256, hop_length=96, power=None, pad_mode="constant", pad=7
        ),
        "no-center": lambda: torchspec.Spectrogram(n_fft=300, hop_length=120, center=False),
        "log-frequency": lambda: torchspec.Spectrogram(
            n_fft=512, hop_length=128, freq_scale="log", sample_rate=SR, n_bins=64, f_min=200.0
        ),
        "trainable": lambda: torchspec.Spectrogram(n_fft=256, hop_length=64, trainable=True),
        "mel": lambda: torchspec.MelSpectrogram(SR, n_fft=400, hop_length=160, n_mels=40),
        "mfcc": lambda: torchspec.MFCC(
            SR, n_mfcc=13, log_mels=True, melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 40}
        ),
        "lfcc": lambda: torchspec.LFCC(
            SR, n_lfcc=20, log_lf=True, speckwargs={"n_fft": 400, "hop_length": 160}
        ),
        "kaldi-fbank": lambda: presets.KaldiFbank(),
        "kaldi-fbank-no-snip": lambda: presets.KaldiFbank(snip_edges=False, use_energy=True),
        "kaldi-mfcc": lambda: presets.KaldiMFCC(snip_edges=False),
        "librosa-mel": lambda: presets.LibrosaMelSpectrogram(sr=SR, n_fft=512, n_mels=40),
        "whisper": lambda: presets.WhisperLogMel(),
        "cqt-direct": lambda: torchspec.CQT(
            SR, hop_length=128, f_min=200.0, n_bins=36, route="direct"
        ),
        "vqt-multirate": lambda: torchspec.VQT(
            SR, hop_length=128, f_min=200.0, n_bins=36, gamma=10.0
        ),
        "sinc": lambda: torchspec.SincFilterbank(n_filters=16, kernel_size=101, hop_length=80),
        "gabor": lambda: torchspec.GaborFilterbank(n_filters=16, kernel_size=101, hop_length=40),
        "leaf": lambda: torchspec.LEAF(n_filters=16),
    }


LAYERS = _layers()
PEAK_TOLERANCE = {"vqt-multirate": 1e-8}


def offline(name: str, layer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    if name == "whisper":
        return layer.frame_log_mel(x)  # type: ignore[operator]
    out: torch.Tensor = layer(x)
    return out


def frame_dim(name: str) -> int:
    return -2 if name.startswith("kaldi") else -1


def run_stream(stream: object, x: torch.Tensor, sizes: list[int], dim: int) -> torch.Tensor:
    """Push ``x`` in chunks of ``sizes`` (the rest in one last chunk), flush, concatenate."""
    outs, start = [], 0
    for size in sizes:
        outs.append(stream.push(x[..., start : start + size]))  # type: ignore[attr-defined]
        start = min(start + size, x.shape[-1])
    outs.append(stream.push(x[..., start:]))  # type: ignore[attr-defined]
    outs.append(stream.flush())  # type: ignore[attr-defined]
    return torch.cat(outs, dim=dim)


def assert_close_to_peak(got: torch.Tensor, want: torch.Tensor, tolerance: float) -> None:
    assert got.shape == want.shape
    peak = want.abs().max()
    error = (got - want).abs().max() / peak
    assert error <= tolerance, f"{error:.3g} of the peak > {tolerance:g}"


def signal(seed: int, dtype: torch.dtype = torch.float64, streams: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (0.3 * torch.randn(streams, LENGTH, generator=g)).to(dtype)


chunkings = st.lists(
    st.one_of(
        st.sampled_from([0, 1, 2, 3, 7, 13, 159, 160, 161, 401, 997]),
        st.integers(0, 2 * LENGTH),
    ),
    min_size=1,
    max_size=30,
)


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=chunkings, seed=st.integers(0, 2**16))
def test_any_chunking_gives_the_offline_frames_float64(
    name: str, sizes: list[int], seed: int
) -> None:
    layer = LAYERS[name]().double()
    x = signal(seed)
    want = offline(name, layer, x)
    got = run_stream(torchspec.stream(layer), x, sizes, frame_dim(name))
    assert_close_to_peak(got, want, PEAK_TOLERANCE.get(name, 1e-12))


DITHERED = {
    "fbank": lambda: presets.KaldiFbank(dither=0.01),
    "fbank-no-snip": lambda: presets.KaldiFbank(dither=0.01, snip_edges=False, use_energy=True),
    "mfcc-no-snip": lambda: presets.KaldiMFCC(dither=0.01, snip_edges=False),
}


@pytest.mark.parametrize("name", sorted(DITHERED))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=chunkings, seed=st.integers(0, 2**16))
def test_dithered_kaldi_streams_give_the_offline_frames_under_one_generator(
    name: str, sizes: list[int], seed: int
) -> None:
    """The stream draws its noise key at the first push, as the offline call does: the same
    generator seed gives the offline frames, noise included; another seed other frames."""
    layer = DITHERED[name]().double()
    x = signal(seed)
    want = layer(x, torch.Generator().manual_seed(seed))
    stream = torchspec.stream(layer, generator=torch.Generator().manual_seed(seed))
    got = run_stream(stream, x, sizes, -2)
    assert_close_to_peak(got, want, 1e-12)
    other = layer(x, torch.Generator().manual_seed(seed + 1))
    assert (other - want).abs().max() > 1e-6 * want.abs().max()


def test_a_stream_draws_a_new_key_for_each_signal() -> None:
    layer = presets.KaldiFbank(dither=0.01).double()
    x = signal(5)
    generator = torch.Generator().manual_seed(9)
    stream = torchspec.stream(layer, generator=generator)
    first = run_stream(stream, x, [1000], -2)
    second = run_stream(stream, x, [1000], -2)  # flush started a new signal
    replay = torch.Generator().manual_seed(9)
    assert_close_to_peak(first, layer(x, replay), 1e-12)
    assert_close_to_peak(second, layer(x, replay), 1e-12)


def test_a_generator_is_only_for_dithering_layers() -> None:
    with pytest.raises(TypeError, match="draws no random numbers"):
        torchspec.stream(torchspec.Spectrogram(), generator=torch.Generator())


@pytest.mark.parametrize("name", ["power", "mel", "kaldi-fbank", "leaf", "cqt-direct"])
def test_float32_streams_within_1e6_of_the_peak(name: str) -> None:
    layer = LAYERS[name]()
    x = signal(1, torch.float32)
    want = offline(name, layer, x)
    got = run_stream(torchspec.stream(layer), x, [1, 2, 3, 311, 0, 160, 1000], frame_dim(name))
    # LEAF's PCEN smoother sums 64-frame blocks by matrix products and a push starts a new
    # block: float32 rounds in another order (measured 1.1e-6 of the peak, where the float32
    # layer itself is 1.2e-6 from the float64 one)
    assert_close_to_peak(got, want, 2e-6 if name == "leaf" else 1e-6)


@pytest.mark.parametrize("pad_mode", ["constant", "reflect", "replicate"])
@pytest.mark.parametrize("sizes", [[1] * 700, [17] * 300, [LENGTH + 5]])
def test_every_pad_mode_one_sample_prime_and_overlong_chunks(
    pad_mode: str, sizes: list[int]
) -> None:
    layer = torchspec.MelSpectrogram(SR, n_fft=512, hop_length=128, n_mels=32, pad_mode=pad_mode)
    layer = layer.double()
    x = signal(2)
    assert_close_to_peak(run_stream(torchspec.stream(layer), x, sizes, -1), layer(x), 1e-12)


def test_a_frame_comes_out_once_its_last_sample_is_in() -> None:
    """Frame t is returned by the push that brings sample t*hop + latency - 1 (reflect
    padding: the first frame also waits for n_fft//2 + 1 samples)."""
    layer = torchspec.Spectrogram(n_fft=400, hop_length=160).double()
    stream = torchspec.stream(layer)
    assert stream.latency == 200
    arrived = []
    x = signal(3, streams=1)
    for n in range(1, 1500):
        out = stream.push(x[..., n - 1 : n])
        arrived += [n] * out.shape[-1]
    first = max(stream.latency, 400 // 2 + 1)
    assert arrived[0] == first
    assert arrived[1:] == [t * 160 + stream.latency for t in range(1, len(arrived))]


def test_batched_streams_equal_each_stream_alone() -> None:
    layer = presets.KaldiFbank(snip_edges=False).double()
    x = signal(4, streams=3)
    sizes = [5, 160, 333, 1, 1024]
    together = run_stream(torchspec.stream(layer), x, sizes, -2)
    for i in range(3):
        alone = run_stream(torchspec.stream(layer), x[i], sizes, -2)
        torch.testing.assert_close(together[i], alone, rtol=0, atol=1e-12)


def test_flush_starts_a_new_signal_and_reset_forgets() -> None:
    layer = torchspec.MelSpectrogram(SR, n_fft=400, hop_length=160, n_mels=40).double()
    stream = torchspec.stream(layer)
    x, y = signal(5), signal(6)
    first = run_stream(stream, x, [999], -1)
    stream.push(x[..., :1234])
    stream.reset()
    second = run_stream(stream, y, [321, 4], -1)
    torch.testing.assert_close(first, layer(x), rtol=0, atol=1e-12)
    torch.testing.assert_close(second, layer(y), rtol=0, atol=1e-12)


def test_a_trained_layer_streams_its_current_kernels() -> None:
    layer = torchspec.Spectrogram(n_fft=128, hop_length=32, trainable=True).double()
    with torch.no_grad():
        layer.kernels.mul_(torch.linspace(0.5, 2.0, layer.kernels.shape[-1], dtype=torch.float64))
    x = signal(7)
    got = run_stream(torchspec.stream(layer), x, [100, 37], -1)
    assert_close_to_peak(got, layer(x), 1e-12)


def test_pcen_stream_carries_its_state() -> None:
    layer = torchspec.PCEN(sample_rate=SR, hop_length=160)
    spec = torchspec.MelSpectrogram(SR, n_fft=400, hop_length=160, n_mels=40).double()(signal(8))
    stream = torchspec.stream(layer)
    parts = [stream.push(spec[..., a:b]) for a, b in [(0, 1), (1, 1), (1, 7), (7, 26)]]
    torch.testing.assert_close(torch.cat(parts, -1), layer(spec), rtol=1e-12, atol=1e-12)


def test_decibels_with_a_fixed_reference_stream() -> None:
    layer = torchspec.AmplitudeToDB(ref=2.0)
    spec = torch.rand(2, 10, 30, dtype=torch.float64)
    stream = torchspec.stream(layer)
    got = torch.cat([stream.push(spec[..., :3]), stream.push(spec[..., 3:])], -1)
    torch.testing.assert_close(got, layer(spec), rtol=0, atol=0)


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("sizes", [[1] * 40, [3, 0, 5, 1], [100]])
def test_inverse_stream_gives_the_offline_samples(center: bool, sizes: list[int]) -> None:
    n_fft, hop = 256, 64
    window = torch.hann_window(n_fft, dtype=torch.float64) + (0.0 if center else 0.1)
    x = signal(9)
    spec = torch.stft(x, n_fft, hop, window=window, center=center, return_complex=True)
    layer = torchspec.InverseSpectrogram(
        n_fft=n_fft, hop_length=hop, center=center, window_fn=lambda n, **k: window
    ).double()
    want = layer(spec)
    stream = torchspec.stream(layer)
    got = run_stream(stream, spec, sizes, -1)
    assert_close_to_peak(got, want, 1e-12)
    assert stream.latency == 3


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: torchspec.MFCC(SR), "top_db=80"),
        (lambda: torchspec.LFCC(SR), "log_lf=True"),
        (lambda: torchspec.AmplitudeToDB(ref="max"), "fixed ref"),
        (lambda: torchspec.AmplitudeToDB(top_db=80.0), "top_db=None"),
        (lambda: presets.KaldiFbank(subtract_mean=True), "subtract_mean"),
        (lambda: torchspec.Spectrogram(pad_mode="circular"), "circular"),
    ],
)
def test_what_depends_on_the_whole_utterance_is_refused(
    make: Callable[[], torch.nn.Module], words: str
) -> None:
    with pytest.raises(ValueError, match="cannot stream exactly") as caught:
        torchspec.stream(make())
    assert words in str(caught.value)


def test_mfcc_streams_once_its_floor_is_off() -> None:
    layer = torchspec.MFCC(SR, melkwargs={"n_fft": 400, "hop_length": 160}).double()
    layer.top_db = None
    x = signal(10)
    assert_close_to_peak(run_stream(torchspec.stream(layer), x, [77] * 20, -1), layer(x), 1e-12)


def test_bad_pushes_say_what_to_do() -> None:
    stream = torchspec.stream(torchspec.Spectrogram(n_fft=64))
    with pytest.raises(TypeError, match=r"torch\.from_numpy"):
        stream.push(np.zeros((2, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="real floating-point"):
        stream.push(torch.zeros(2, 10, dtype=torch.int16))
    stream.push(torch.zeros(2, 10))
    with pytest.raises(ValueError, match="same leading dims"):
        stream.push(torch.zeros(3, 10))
    with pytest.raises(TypeError, match="has no stream"):
        torchspec.stream(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="flush before any push"):
        torchspec.stream(torchspec.Spectrogram(n_fft=64)).flush()


def test_a_signal_too_short_for_the_layer_fails_at_flush_as_offline() -> None:
    layer = torchspec.Spectrogram(n_fft=400)
    stream = torchspec.stream(layer)
    assert stream.push(torch.zeros(1, 100)).shape == (1, 201, 0)
    with pytest.raises(ValueError, match="too short"):
        stream.flush()


@pytest.mark.parametrize("sample_rate", [8000, 16000])
@pytest.mark.parametrize("chunk_ms", [10, 25, 130, 1000])
def test_kaldi_fbank_stream_matches_kaldi_native_fbank_online(
    sample_rate: int, chunk_ms: int
) -> None:
    """Same frame count after every chunk as kaldi-native-fbank's OnlineFbank, log mel energies
    within 5e-4 (float32 FFTs in both; measured 2e-5)."""
    knf = pytest.importorskip("kaldi_native_fbank")
    options = knf.FbankOptions()
    options.frame_opts.dither = 0.0
    options.frame_opts.samp_freq = sample_rate
    options.mel_opts.num_bins = 23
    online = knf.OnlineFbank(options)
    stream = torchspec.stream(presets.KaldiFbank(sample_frequency=sample_rate))
    g = torch.Generator().manual_seed(chunk_ms)
    x = 3000 * torch.randn(2 * sample_rate, generator=g)
    chunk = sample_rate * chunk_ms // 1000
    ours = []
    for start in range(0, x.numel(), chunk):
        piece = x[start : start + chunk]
        online.accept_waveform(sample_rate, piece.tolist())
        ours.append(stream.push(piece))
        assert sum(o.shape[0] for o in ours) == online.num_frames_ready
    online.input_finished()
    ours.append(stream.flush())
    theirs = torch.tensor(np.array([online.get_frame(i) for i in range(online.num_frames_ready)]))
    got = torch.cat(ours)
    assert got.shape == theirs.shape
    assert (got - theirs).abs().max() < 5e-4


def test_stream_names_its_latency_per_configuration() -> None:
    cqt = torchspec.CQT(SR, hop_length=128, f_min=200.0, n_bins=36, route="direct")
    assert torchspec.stream(cqt).latency == cqt.context + 1
    leaf = torchspec.LEAF()
    assert torchspec.stream(leaf).latency == 401  # half the filter plus half the pooling
    assert torchspec.stream(presets.KaldiFbank()).latency == 400
    assert math.isclose(torchspec.stream(presets.WhisperLogMel()).latency, 200)


@pytest.mark.parametrize("name", ["mel", "kaldi-fbank-no-snip", "cqt-direct", "no-center"])
def test_batch_clips_gives_each_clip_its_own_frames(name: str) -> None:
    layer = LAYERS[name]().double()
    g = torch.Generator().manual_seed(11)
    lengths = [LENGTH, 2900, 1000, 777]
    clips = [torch.randn(2, n, generator=g, dtype=torch.float64) for n in lengths]
    batch = torch.stack([torch.nn.functional.pad(c, (0, LENGTH - c.shape[-1])) for c in clips])
    out, counts = torchspec.batch_clips(layer, batch, lengths)
    dim = frame_dim(name)
    for clip, features, count in zip(clips, out, counts.tolist(), strict=True):
        alone = layer(clip)
        assert count == alone.shape[dim]
        assert_close_to_peak(features.narrow(dim, 0, count), alone, 1e-12)
        assert not features.narrow(dim, count, features.shape[dim] - count).any()


def test_batch_clips_refuses_what_it_cannot_do() -> None:
    batch = torch.zeros(2, 1000)
    with pytest.raises(TypeError, match="carry state through time"):
        torchspec.batch_clips(torchspec.LEAF(), batch, [1000, 500])
    with pytest.raises(ValueError, match="lengths must give"):
        torchspec.batch_clips(torchspec.Spectrogram(n_fft=64), batch, [1000, 1001])


frame_chunkings = st.lists(st.integers(0, 12), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None)
@given(sizes=frame_chunkings)
def test_frame_streams_any_chunking(sizes: list[int]) -> None:
    """PCEN (state carried), dB with a fixed reference, and the inverse STFT (frames in,
    samples out) over any chunking of the frames: the offline result."""
    x = signal(12)
    spec = torchspec.MelSpectrogram(SR, n_fft=400, hop_length=160, n_mels=40).double()(x)
    pcen = torchspec.PCEN(sample_rate=SR, hop_length=160)
    db = torchspec.AmplitudeToDB(ref=1e-3)
    for layer in (pcen, db):
        stream = torchspec.stream(layer)
        parts, start = [], 0
        for size in [*sizes, spec.shape[-1]]:
            parts.append(stream.push(spec[..., start : start + size]))
            start = min(start + size, spec.shape[-1])
        assert_close_to_peak(torch.cat(parts, -1), layer(spec), 1e-12)
    complex_spec = torch.stft(
        x, 256, 64, window=torch.hann_window(256, dtype=torch.float64), return_complex=True
    )
    inverse = torchspec.InverseSpectrogram(n_fft=256, hop_length=64).double()
    got = run_stream(torchspec.stream(inverse), complex_spec, sizes, -1)
    assert_close_to_peak(got, inverse(complex_spec), 1e-12)
