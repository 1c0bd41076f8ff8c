"""Step forms (torchspec.steps.step): looped over a signal they give the eager stream's frames,
and they script, export and run in ONNX Runtime.

References: the eager stream's frames (themselves equal to the offline layer, tests/
test_streaming.py). Eager steps in float64 within 1e-12 of the peak (the same arithmetic on the
same samples); ONNX Runtime in float32 within 1e-5 of the peak (float32 rounding of products
of a few hundred terms; measured 8e-8 to 2.1e-6). The exported STFT layers take the convolution
route, as the step docs advise: ONNX Runtime's DFT at n_fft 400 alone rounds to 3.3e-5 of the
peak (the FFT-route case below, held to 1e-4); Kaldi pads its frames to 512, where the DFT
is exact to float32.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import torchspec
from torchspec import presets, steps

SR = 16000

CASES: dict[str, tuple[Callable[[], torch.nn.Module], int, int]] = {
    # name: (layer, samples per step, frame axis)
    "spectrogram": (lambda: torchspec.Spectrogram(n_fft=400, hop_length=160), 320, -1),
    "replicate": (
        lambda: torchspec.Spectrogram(n_fft=400, hop_length=160, pad_mode="replicate"),
        480,
        -1,
    ),
    "mel": (lambda: torchspec.MelSpectrogram(SR, n_fft=400, hop_length=160, n_mels=40), 320, -1),
    "mfcc": (
        lambda: torchspec.MFCC(SR, log_mels=True, melkwargs={"hop_length": 160, "n_mels": 40}),
        480,
        -1,
    ),
    "kaldi-fbank": (lambda: presets.KaldiFbank(), 160, -2),
    "kaldi-no-snip": (lambda: presets.KaldiFbank(snip_edges=False), 320, -2),
    "leaf": (lambda: torchspec.LEAF(n_filters=16), 320, -1),
}


def signal(dtype: torch.dtype, length: int = 6400) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return (0.3 * torch.randn(2, length, generator=g)).to(dtype)


def loop(step: Callable[..., tuple[torch.Tensor, ...]], state: list, chunks: list) -> list:
    outs = []
    for chunk in chunks:
        out, *state = step(chunk, *state)
        outs.append(out)
    return outs


def stream_frames(layer: torch.nn.Module, x: torch.Tensor, dim: int) -> torch.Tensor:
    stream = torchspec.stream(layer)
    return torch.cat([stream.push(x), stream.flush()], dim=dim)


@pytest.mark.parametrize("name", sorted(CASES))
def test_steps_give_the_stream_frames_after_the_warmup(name: str) -> None:
    make, chunk, dim = CASES[name]
    layer = make().double()
    step = steps.step(layer, chunk=chunk)
    x = signal(torch.float64)
    with torch.no_grad():
        chunks = [c for c in x.split(chunk, -1) if c.shape[-1] == chunk]
        outs = loop(step, step.initial_state(2, dtype=torch.float64), chunks)
        got = torch.cat(outs, dim)
        got = got.narrow(dim, step.warmup, got.shape[dim] - step.warmup)
        want = stream_frames(layer, x, dim).narrow(dim, 0, got.shape[dim])
    assert got.shape[dim] >= x.shape[-1] // chunk * (chunk // 160) - 3
    assert (got - want).abs().max() <= 1e-12 * want.abs().max()


def test_inverse_step_gives_the_offline_samples() -> None:
    x = signal(torch.float64)
    window = torch.hann_window(400, dtype=torch.float64)
    spec = torch.stft(x, 400, 100, window=window, return_complex=True)
    layer = torchspec.InverseSpectrogram(n_fft=400, hop_length=100).double()
    step = steps.step(layer, chunk=4)
    pairs = torch.view_as_real(spec).split(4, dim=-2)
    outs = loop(
        step, step.initial_state(2, dtype=torch.float64), [p for p in pairs if p.shape[-2] == 4]
    )
    got = torch.cat(outs, -1)[:, step.warmup :]
    want = layer(spec)[:, : got.shape[-1] - 300]  # the last 300 wait for frames not pushed
    torch.testing.assert_close(got[:, : want.shape[-1]], want, rtol=0, atol=1e-12)


def test_pcen_step_carries_the_offline_state() -> None:
    layer = torchspec.PCEN()
    spec = torch.rand(2, 40, 24, dtype=torch.float64)
    step = steps.step(layer, chunk=6)
    outs = loop(step, step.initial_state(2, 40, dtype=torch.float64), list(spec.split(6, -1)))
    torch.testing.assert_close(torch.cat(outs, -1), layer(spec), rtol=1e-12, atol=1e-12)


def test_chunk_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="multiple of the hop"):
        steps.step(torchspec.Spectrogram(n_fft=400, hop_length=160), chunk=100)
    with pytest.raises(ValueError, match="too short to pad the start"):
        steps.step(torchspec.Spectrogram(n_fft=1024, hop_length=256), chunk=256)
    with pytest.raises(ValueError, match="cannot stream exactly"):
        steps.step(torchspec.MFCC(SR), chunk=400)
    with pytest.raises(TypeError, match="no step form"):
        steps.step(torchspec.CQT(SR), chunk=512)
    with pytest.raises(ValueError, match="no dither"):
        steps.step(presets.KaldiFbank(dither=1.0), chunk=160)


def example(name: str, step: torch.nn.Module, chunk: int) -> tuple[torch.Tensor, ...]:
    if name == "pcen":
        return (torch.rand(2, 40, chunk), *step.initial_state(2, 40))
    if name == "inverse":
        return (torch.randn(2, 201, chunk, 2), *step.initial_state(2))
    return (signal(torch.float32)[:, :chunk], *step.initial_state(2))


EXPORTED = {
    **{name: CASES[name][:2] for name in ("kaldi-fbank", "leaf")},
    "spectrogram": (lambda: torchspec.Spectrogram(n_fft=400, hop_length=160, route="conv"), 320),
    "mel": (
        lambda: torchspec.MelSpectrogram(
            SR, n_fft=400, hop_length=160, n_mels=40, stft_route="conv"
        ),
        320,
    ),
    "mfcc": (
        lambda: torchspec.MFCC(
            SR, log_mels=True, melkwargs={"hop_length": 160, "n_mels": 40, "stft_route": "conv"}
        ),
        480,
    ),
    "pcen": (lambda: torchspec.PCEN(), 4),
    "inverse": (lambda: torchspec.InverseSpectrogram(n_fft=400, hop_length=100), 4),
    # the FFT route: ONNX Runtime's DFT rounds to 3.3e-5 of the peak at n_fft 400, so this one
    # is held to tests/test_deploy.py's 1e-4
    "spectrogram-fft": (lambda: torchspec.Spectrogram(n_fft=400, hop_length=160), 320),
}


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_step_exports_and_loops_in_onnx_runtime(name: str, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    make, chunk = EXPORTED[name]
    step = steps.step(make(), chunk=chunk)
    args = example(name, step, chunk)
    torch.export.export(step, args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(step, args, dynamo=True, verbose=False)
    program.save(str(tmp_path / "step.onnx"))
    session = ort.InferenceSession(str(tmp_path / "step.onnx"), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    # loop both over a whole signal: the ONNX state feeds the next ONNX step
    if name == "pcen":
        chunks = list(torch.rand(2, 40, 4 * chunk).split(chunk, -1))
    elif name == "inverse":
        chunks = list(torch.randn(2, 201, 4 * chunk, 2).split(chunk, -2))
    else:
        chunks = [c for c in signal(torch.float32).split(chunk, -1) if c.shape[-1] == chunk]
    eager_state, onnx_state = list(args[1:]), [a.numpy() for a in args[1:]]
    for chunk_ in chunks:
        with torch.no_grad():
            want, *eager_state = step(chunk_, *eager_state)
        got, *onnx_state = session.run(
            None, dict(zip(names, [chunk_.numpy(), *onnx_state], strict=True))
        )
        peak = float(want.abs().max())
        bound = 1e-4 if name == "spectrogram-fft" else 1e-5
        assert (torch.from_numpy(got) - want).abs().max() <= bound * peak


@pytest.mark.parametrize("name", ["spectrogram", "mel", "mfcc", "kaldi-fbank", "inverse"])
def test_step_scripts_saves_and_loads(name: str) -> None:
    make, chunk = EXPORTED[name]
    step = steps.step(make(), chunk=chunk)
    args = example(name, step, chunk)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(step), buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    for got, want in zip(loaded(*args), step(*args), strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
