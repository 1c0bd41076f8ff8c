"""Every layer on every available device (CPU always, CUDA where present), no host
synchronisation in any forward, and deliberate float32 precision on CUDA.

- Values: each registry layer (tests/test_contract.py) on each device, in float32, equals the
  CPU float64 result within 1e-5 relative to the output's peak (float32 rounding of sums of at
  most a few thousand terms; TF32 would miss it by 100x on the convolution routes).
- No host sync: on CUDA every layer runs under ``torch.cuda.set_sync_debug_mode("error")``;
  on CPU ``torch.compile(fullgraph=True)`` stands in (a ``.item()``, a value-dependent branch
  or numpy in forward breaks the graph and fails): the deployment matrix compiles every
  layer so (tests/test_deploy.py), and this file compiles with static shapes the layers whose
  dynamic-shape cell there is a listed limit.

On a GPU machine: ``python -m pytest tests/test_devices.py tests/test_contract.py`` (the whole
suite also runs there; every device test then has a CUDA case).
"""

from __future__ import annotations

import pytest
import torch
from test_contract import CASES, REGISTRY, close, run
from test_deploy import COMPILE_BACKENDS, limit

import torchspec
from torchspec import conv

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
FIRST = [pytest.param(cases[0], id=name) for name, cases in REGISTRY.items()]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES)
def test_float32_on_device_equals_cpu_float64(case, device):
    x = case.input(2)
    expected = run(
        case.make().double(), x.double() if not x.is_complex() else x.to(torch.complex128)
    )
    actual = run(case.make().to(device), x.to(device)).cpu()
    assert actual.dtype in (torch.float32, torch.complex64)
    close(actual.to(expected.dtype), expected, 1e-5)


# On the CPU the stand-in is needed only where the deployment matrix's own compile cell
# (fullgraph=True, dynamic shapes: a graph break or .item() fails it) is a listed limit.
SYNC_CASES = [
    pytest.param(cases[0], device, id=f"{name}-{device}")
    for name, cases in REGISTRY.items()
    for device in DEVICES
    if device == "cuda" or limit(name, 0, "compile") is not None
]


@pytest.mark.compile
@pytest.mark.parametrize(("case", "device"), SYNC_CASES)
def test_forward_never_waits_for_the_device(case, device):
    layer, x = case.make().to(device), case.input(2).to(device)
    eager = run(layer, x)
    if device == "cuda":
        torch.cuda.set_sync_debug_mode("error")
        try:
            run(layer, x)
        finally:
            torch.cuda.set_sync_debug_mode("default")
        return
    torch._dynamo.reset()
    # inductor draws its own random numbers: the masks compare under the backend that draws
    # eager's (the deployment table's note)
    backend = COMPILE_BACKENDS.get(type(layer).__name__, ("inductor", ""))[0]
    compiled = torch.compile(layer, fullgraph=True, dynamic=False, backend=backend)
    close(run(compiled, x), eager, 1e-5)


def test_tf32_is_off_unless_asked():
    assert conv.conv_flags(torch.device("cpu")) is None
    flags = conv.conv_flags(torch.device("cuda"))
    assert flags is not None and flags["allow_tf32"] is False
    with torchspec.allow_tf32():
        assert conv.conv_flags(torch.device("cuda"))["allow_tf32"] is True
        with torchspec.allow_tf32(False):
            assert conv.conv_flags(torch.device("cuda"))["allow_tf32"] is False
        assert conv.conv_flags(torch.device("cuda"))["allow_tf32"] is True
    assert conv.conv_flags(torch.device("cuda"))["allow_tf32"] is False


@pytest.mark.parametrize("device", DEVICES)
def test_conv_route_is_full_float32(device):
    """The trainable (conv) STFT equals the FFT route to float32 precision on every device:
    with TF32 convolutions it would be ~1e-3 off on an Ampere or newer GPU."""
    x = torch.randn(4, 16000, device=device)
    fft = torchspec.Spectrogram(1024, hop_length=256, power=None).to(device)
    trainable = torchspec.Spectrogram(1024, hop_length=256, power=None, trainable=True).to(device)
    with torch.no_grad():
        close(trainable(x).cpu(), fft(x).cpu(), 1e-5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", FIRST)
def test_bfloat16_autocast_runs_and_stays_finite(case, device):
    layer, x = case.make().to(device), case.input(2).to(device)
    with torch.autocast(torch.device(device).type, dtype=torch.bfloat16), torch.no_grad():
        out = run(layer, x)
    values = torch.view_as_real(out) if out.is_complex() else out
    assert torch.isfinite(values.float()).all()


def test_gpu_benchmark_smoke_run(tmp_path):
    """benchmarks/gpu.py runs end to end (tiny sizes, on the CPU) and writes its report."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    out = tmp_path / "gpu.json"
    command = [
        sys.executable,
        "gpu.py",
        "--device",
        "cpu",
        "--batches",
        "1",
        "--seconds",
        "0.25",
        "--repeats",
        "1",
        "--out",
        str(out),
    ]
    subprocess.run(command, cwd=bench, check=True, capture_output=True, timeout=600)
    report = json.loads(out.read_text())
    layers = {row["layer"] for row in report["rows"] if row["implementation"] == "torchspec"}
    assert layers == {
        "STFT",
        "MelSpectrogram",
        "MFCC",
        "CQT",
        "GriffinLim",
        "STFT trainable fwd+bwd",
        "KaldiFbank",
        "WhisperLogMel",
    }
    assert not [r for r in report["rows"] if r["implementation"] == "torchspec" and "error" in r]
